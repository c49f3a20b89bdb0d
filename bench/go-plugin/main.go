// Command go-plugin is the Go reference for the plugin columns of `pnpm bench daprd`: an in-memory state store
// served over the pluggable-component protocol with grpc-go and dapr/dapr's generated protos, the way a Go SDK
// plugin is built (reflection for discovery, one store per x-component-instance, ETags). It does only what the
// bench drives (Init, Features, Ping, Get, Set, Delete), so it is a lower bound on a Go SDK plugin's per-call cost.
package main

import (
	"context"
	"flag"
	"log"
	"net"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"syscall"

	proto "github.com/dapr/dapr/pkg/proto/components/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/reflection"
	"google.golang.org/grpc/status"
)

type entry struct {
	value []byte
	etag  uint64
}

type store struct {
	mu   sync.RWMutex
	data map[string]entry
	next uint64
}

type server struct {
	proto.UnimplementedStateStoreServer
	mu     sync.RWMutex
	stores map[string]*store
}

func instance(ctx context.Context) string {
	md, _ := metadata.FromIncomingContext(ctx)
	if v := md.Get("x-component-instance"); len(v) > 0 {
		return v[len(v)-1]
	}
	return ""
}

func (s *server) store(ctx context.Context) (*store, error) {
	s.mu.RLock()
	st, ok := s.stores[instance(ctx)]
	s.mu.RUnlock()
	if !ok {
		return nil, status.Error(codes.FailedPrecondition, "instance is not initialised")
	}
	return st, nil
}

func (s *server) Init(ctx context.Context, _ *proto.InitRequest) (*proto.InitResponse, error) {
	s.mu.Lock()
	s.stores[instance(ctx)] = &store{data: map[string]entry{}}
	s.mu.Unlock()
	return &proto.InitResponse{}, nil
}

func (s *server) Features(context.Context, *proto.FeaturesRequest) (*proto.FeaturesResponse, error) {
	return &proto.FeaturesResponse{Features: []string{"ETAG"}}, nil
}

func (s *server) Ping(context.Context, *proto.PingRequest) (*proto.PingResponse, error) {
	return &proto.PingResponse{}, nil
}

func (s *server) Get(ctx context.Context, req *proto.GetRequest) (*proto.GetResponse, error) {
	st, err := s.store(ctx)
	if err != nil {
		return nil, err
	}
	st.mu.RLock()
	e, ok := st.data[req.GetKey()]
	st.mu.RUnlock()
	if !ok {
		return &proto.GetResponse{}, nil
	}
	return &proto.GetResponse{Data: e.value, Etag: &proto.Etag{Value: strconv.FormatUint(e.etag, 10)}}, nil
}

func (s *server) Set(ctx context.Context, req *proto.SetRequest) (*proto.SetResponse, error) {
	st, err := s.store(ctx)
	if err != nil {
		return nil, err
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if want := req.GetEtag(); want != nil && want.GetValue() != "" {
		if e, ok := st.data[req.GetKey()]; !ok || strconv.FormatUint(e.etag, 10) != want.GetValue() {
			return nil, status.Error(codes.FailedPrecondition, "etag mismatch")
		}
	}
	st.next++
	st.data[req.GetKey()] = entry{value: req.GetValue(), etag: st.next}
	return &proto.SetResponse{}, nil
}

func (s *server) Delete(ctx context.Context, req *proto.DeleteRequest) (*proto.DeleteResponse, error) {
	st, err := s.store(ctx)
	if err != nil {
		return nil, err
	}
	st.mu.Lock()
	delete(st.data, req.GetKey())
	st.mu.Unlock()
	return &proto.DeleteResponse{}, nil
}

func main() {
	socket := flag.String("socket", "", "unix socket path to serve on")
	flag.Parse()
	if *socket == "" {
		log.Fatal("-socket is required")
	}
	_ = os.Remove(*socket)
	lis, err := net.Listen("unix", *socket)
	if err != nil {
		log.Fatal(err)
	}
	_ = os.Chmod(*socket, 0o666)
	srv := grpc.NewServer()
	proto.RegisterStateStoreServer(srv, &server{stores: map[string]*store{}})
	reflection.Register(srv)
	go func() {
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
		<-sig
		srv.Stop()
	}()
	if err := srv.Serve(lis); err != nil {
		log.Fatal(err)
	}
}
