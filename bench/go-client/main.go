// Command go-client is a daprd-like load client for a pluggable component socket.
//
// It dials the socket the way daprd does (insecure, unix://, one connection per component instance, the
// x-component-instance header on every call through an interceptor), calls Init then Features, and then
// runs -concurrency goroutines issuing Get, Set or Publish for -duration (after -warmup). It prints one
// JSON line: {"opsPerSec":…,"p50us":…,"p99us":…,"ops":…,"errors":…}.
//
// There are no generated dapr types: requests are hand-encoded protobuf (field numbers from
// dapr.proto.components.v1) and a passthrough codec hands raw bytes to and from grpc.
package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
)

const instanceHeader = "x-component-instance"

// rawCodec passes already-encoded protobuf bytes through untouched.
type rawCodec struct{}

func (rawCodec) Name() string { return "proto" }

func (rawCodec) Marshal(v any) ([]byte, error) {
	switch b := v.(type) {
	case []byte:
		return b, nil
	case *[]byte:
		return *b, nil
	}
	return nil, fmt.Errorf("rawCodec: cannot marshal %T", v)
}

func (rawCodec) Unmarshal(data []byte, v any) error {
	b, ok := v.(*[]byte)
	if !ok {
		return fmt.Errorf("rawCodec: cannot unmarshal into %T", v)
	}
	*b = append((*b)[:0], data...)
	return nil
}

// --- minimal protobuf encoding -------------------------------------------------------------------------

func appendVarint(b []byte, v uint64) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

// appendBytesField appends a length-delimited field (wire type 2); an empty value is still written, which
// is how message presence (e.g. SetRequest.options, always sent by daprd) is expressed.
func appendBytesField(b []byte, field int, value []byte) []byte {
	b = appendVarint(b, uint64(field)<<3|2)
	b = appendVarint(b, uint64(len(value)))
	return append(b, value...)
}

func appendStringField(b []byte, field int, value string) []byte {
	if value == "" {
		return b
	}
	b = appendVarint(b, uint64(field)<<3|2)
	b = appendVarint(b, uint64(len(value)))
	return append(b, value...)
}

// appendMapField appends a map<string,string> (each entry a message {key=1, value=2}).
func appendMapField(b []byte, field int, m map[string]string) []byte {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		var entry []byte
		entry = appendStringField(entry, 1, k)
		entry = appendStringField(entry, 2, m[k])
		b = appendBytesField(b, field, entry)
	}
	return b
}

// InitRequest / PubSubInitRequest {metadata=1 MetadataRequest{properties=1 map<string,string>}}.
func encodeInit(props map[string]string) []byte {
	return appendBytesField(nil, 1, appendMapField(nil, 1, props))
}

// GetRequest {key=1, metadata=2, consistency=3}: daprd sends no metadata and UNSPECIFIED consistency here.
func encodeGet(buf []byte, key string) []byte {
	return appendStringField(buf[:0], 1, key)
}

// SetRequest {key=1, value=2, etag=3, metadata=4, options=5, content_type=6}: options always present.
func encodeSet(buf []byte, key string, value []byte) []byte {
	b := appendStringField(buf[:0], 1, key)
	b = appendBytesField(b, 2, value)
	return appendBytesField(b, 5, nil)
}

// Dapr runtime API (dapr.proto.runtime.v1): GetStateRequest {store_name=1, key=2} and
// SaveStateRequest {store_name=1, states=2 repeated common.v1.StateItem {key=1, value=2}}.
func encodeAPIGet(buf []byte, store, key string) []byte {
	b := appendStringField(buf[:0], 1, store)
	return appendStringField(b, 2, key)
}

func encodeAPISave(buf []byte, store, key string, value []byte) []byte {
	var item []byte
	item = appendStringField(item, 1, key)
	item = appendBytesField(item, 2, value)
	b := appendStringField(buf[:0], 1, store)
	return appendBytesField(b, 2, item)
}

// PublishRequest {data=1, pubsub_name=2, topic=3, metadata=4, content_type=5 (never set by daprd)}.
func encodePublish(buf []byte, data []byte, pubsubName, topic string) []byte {
	b := appendBytesField(buf[:0], 1, data)
	b = appendStringField(b, 2, pubsubName)
	return appendStringField(b, 3, topic)
}

// --- main --------------------------------------------------------------------------------------------

type result struct {
	OpsPerSec  float64 `json:"opsPerSec"`
	P50us      float64 `json:"p50us"`
	P99us      float64 `json:"p99us"`
	Ops        int     `json:"ops"`
	Errors     int64   `json:"errors"`
	FirstError string  `json:"firstError,omitempty"`
}

func parseProps(s string) (map[string]string, error) {
	props := map[string]string{}
	if s == "" {
		return props, nil
	}
	for _, pair := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(pair, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("bad -props entry %q (want k=v)", pair)
		}
		props[k] = v
	}
	return props, nil
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "go-client: "+format+"\n", args...)
	os.Exit(1)
}

func main() {
	socket := flag.String("socket", "", "path of the component's unix socket (required unless -target)")
	target := flag.String("target", "", "host:port of a Dapr gRPC API (ops api-get, api-save) instead of a socket")
	store := flag.String("store", "statestore", "state store name for api-get / api-save")
	instance := flag.String("instance", "bench", "value of the x-component-instance header (the YAML component name)")
	op := flag.String("op", "get", "get | set | publish")
	concurrency := flag.Int("concurrency", 64, "calls in flight (one goroutine each)")
	duration := flag.Duration("duration", 3*time.Second, "measured duration")
	warmup := flag.Duration("warmup", 500*time.Millisecond, "unmeasured warm-up before the measured run")
	valueBytes := flag.Int("value-bytes", 64, "size of the value (set) or payload (publish)")
	keyCount := flag.Int("keys", 1000, "distinct keys cycled through (bench||key-<i>)")
	props := flag.String("props", "", "Init properties: k=v,k=v")
	pubsubName := flag.String("pubsub-name", "pubsub", "PublishRequest.pubsub_name")
	topic := flag.String("topic", "bench", "PublishRequest.topic")
	flag.Parse()

	api := *op == "api-get" || *op == "api-save"
	if api != (*target != "") {
		fail("-target goes with -op api-get | api-save, -socket with get | set | publish")
	}
	if !api && *socket == "" {
		fail("-socket is required")
	}
	properties, err := parseProps(*props)
	if err != nil {
		fail("%v", err)
	}
	var service, method string
	switch *op {
	case "get":
		service, method = "StateStore", "Get"
	case "set":
		service, method = "StateStore", "Set"
	case "publish":
		service, method = "PubSub", "Publish"
	case "api-get":
		service, method = "Dapr", "GetState"
	case "api-save":
		service, method = "Dapr", "SaveState"
	default:
		fail("unknown -op %q (get | set | publish | api-get | api-save)", *op)
	}
	prefix := "/dapr.proto.components.v1." + service + "/"
	if api {
		prefix = "/dapr.proto.runtime.v1.Dapr/"
	}

	// One connection per instance, header on every call, as daprd's pluggable GRPCConnector does.
	header := metadata.Pairs(instanceHeader, *instance)
	address := "unix://" + *socket
	if api {
		address = "passthrough:///" + *target
	}
	conn, err := grpc.NewClient(address,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.ForceCodec(rawCodec{})),
		grpc.WithUnaryInterceptor(func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
			return invoker(metadata.NewOutgoingContext(ctx, header), method, req, reply, cc, opts...)
		}),
	)
	if err != nil {
		fail("dial: %v", err)
	}
	defer conn.Close()

	ctx := context.Background()
	var reply []byte
	if !api {
		initCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
		if err := conn.Invoke(initCtx, prefix+"Init", encodeInit(properties), &reply); err != nil {
			fail("%sInit: %v", prefix, err)
		}
		if err := conn.Invoke(initCtx, prefix+"Features", []byte{}, &reply); err != nil {
			fail("%sFeatures: %v", prefix, err)
		}
		cancel()
	}

	keys := make([]string, *keyCount)
	for i := range keys {
		if api {
			keys[i] = fmt.Sprintf("key-%d", i)
		} else {
			keys[i] = fmt.Sprintf("bench||key-%d", i)
		}
	}
	value := make([]byte, *valueBytes)
	_, _ = rand.Read(value)
	if *op == "publish" {
		// Printable payload, like the CloudEvent JSON daprd would publish.
		for i := range value {
			value[i] = 'a' + value[i]%26
		}
	}

	var counter atomic.Uint64
	var errCount atomic.Int64
	var firstErr atomic.Pointer[string]

	// run drives the load until `until`; when record is set it returns each goroutine's latencies.
	run := func(until time.Time, record bool) [][]time.Duration {
		lat := make([][]time.Duration, *concurrency)
		var wg sync.WaitGroup
		for g := 0; g < *concurrency; g++ {
			wg.Add(1)
			go func(g int) {
				defer wg.Done()
				var buf, out []byte
				var mine []time.Duration
				if record {
					mine = make([]time.Duration, 0, 4096)
				}
				for {
					start := time.Now()
					if !start.Before(until) {
						break
					}
					i := counter.Add(1)
					key := keys[i%uint64(len(keys))]
					switch *op {
					case "get":
						buf = encodeGet(buf, key)
					case "set":
						buf = encodeSet(buf, key, value)
					case "publish":
						buf = encodePublish(buf, value, *pubsubName, *topic)
					case "api-get":
						buf = encodeAPIGet(buf, *store, key)
					case "api-save":
						buf = encodeAPISave(buf, *store, key, value)
					}
					err := conn.Invoke(ctx, prefix+method, buf, &out)
					if err != nil {
						if errCount.Add(1) == 1 {
							msg := err.Error()
							firstErr.Store(&msg)
						}
						if errors.Is(err, context.Canceled) {
							return
						}
					}
					if record {
						mine = append(mine, time.Since(start))
					}
				}
				lat[g] = mine
			}(g)
		}
		wg.Wait()
		return lat
	}

	if *warmup > 0 {
		run(time.Now().Add(*warmup), false)
		errCount.Store(0)
		firstErr.Store(nil)
	}
	start := time.Now()
	perWorker := run(start.Add(*duration), true)
	elapsed := time.Since(start)

	var all []time.Duration
	for _, l := range perWorker {
		all = append(all, l...)
	}
	slices.Sort(all)
	pct := func(p float64) float64 {
		if len(all) == 0 {
			return 0
		}
		idx := int(p * float64(len(all)-1))
		return float64(all[idx].Nanoseconds()) / 1e3
	}
	res := result{
		OpsPerSec: float64(len(all)) / elapsed.Seconds(),
		P50us:     pct(0.50),
		P99us:     pct(0.99),
		Ops:       len(all),
		Errors:    errCount.Load(),
	}
	if p := firstErr.Load(); p != nil {
		res.FirstError = *p
	}
	out, _ := json.Marshal(res)
	fmt.Println(string(out))
	if res.Errors > 0 && int64(res.Ops) == res.Errors {
		os.Exit(2)
	}
}
