/**
 * daprd's default self-hosted resolver, mDNS (spec sidecar-wave2 §3.2, components-contrib nameresolution/mdns with
 * grandcat/zeroconf), on the `multicast-dns` package. Records are exactly zeroconf's, so real daprd resolves us and
 * we resolve daprd:
 *   PTR  <appId>.local.                 → <hostname>:<pid>.<appId>.local.
 *   SRV  <hostname>:<pid>.<appId>.local. → 0 0 <internal gRPC port> <hostname>.local.
 *   TXT  <hostname>:<pid>.<appId>.local. → "<appId>"
 *   A    <hostname>.local.              → the announced address        (TTL 3200 s each)
 * Resolution browses `<appId>.local.` (PTR), accepts an instance only if a TXT string equals the app id, and
 * caches `ip:port` for 60 s after it was last seen, round-robin, IPv4 before IPv6. Answers seen passively
 * (other sidecars' announcements) refresh the cache.
 *
 * The socket is 0.0.0.0:5353 (SO_REUSEADDR, shared with daprd's) joined to 224.0.0.251 on every IPv4 interface;
 * queries leave by the default route's interface and multicast loopback brings them to sidecars on this host.
 * An interface without MULTICAST (often `lo`) cannot carry it: a machine whose only interface is such needs
 * another resolver (`static`, or the SQLite one).
 */
import { createRequire } from 'node:module';
import { hostname } from 'node:os';
import type { Logger } from '@daprkit/component-sdk';
import type makeMdns from 'multicast-dns';
import type { NameResolutionConfig, NameResolver, ResolveRequest, ResolverInstance } from './types.js';

const TTL = 3200;
const CACHE_MS = 60_000;
const BROWSE_MS = 1000;
const DNS_SD = '_services._dns-sd._udp.local';

type Mdns = ReturnType<typeof makeMdns>;
type Packet = Parameters<Parameters<Mdns['on']>[1]>[0] & {
  answers?: Answer[];
  additionals?: Answer[];
  questions?: { name: string; type: string }[];
};
interface Answer {
  name: string;
  type: string;
  ttl?: number;
  flush?: boolean;
  data: unknown;
}

interface CacheEntry {
  addresses: Map<string, number>; // address → expiry
  next: number;
}

const lower = (name: string) => name.toLowerCase().replace(/\.$/, '');

function txtStrings(data: unknown): string[] {
  const list = Array.isArray(data) ? data : [data];
  return list.map((v) => (Buffer.isBuffer(v) ? v.toString('utf8') : String(v)));
}

export function createMdnsResolver(config: NameResolutionConfig, logger: Logger): NameResolver {
  return new MdnsResolver(config.configuration, logger);
}

class MdnsResolver implements NameResolver {
  private socket: Mdns | undefined;
  private readonly cache = new Map<string, CacheEntry>();
  private readonly browsing = new Map<string, Promise<string>>();
  private readonly waiters = new Set<() => void>();
  private records: { service: Answer[]; instance: Answer[]; host: Answer[]; names: Record<string, string> } | undefined;

  constructor(
    private readonly configuration: Record<string, unknown>,
    private readonly logger: Logger,
  ) {}

  private open(): Mdns {
    if (this.socket) return this.socket;
    const options: Record<string, unknown> = { reuseAddr: true };
    if (typeof this.configuration.interface === 'string') options.interface = this.configuration.interface;
    // A CommonJS package, required when the first socket opens: an ES import would also run Node's CJS export
    // lexer over it (~4 ms of every start), and a sidecar on another resolver never loads it.
    const socket = (createRequire(import.meta.url)('multicast-dns') as typeof makeMdns)(options);
    socket.on('warning', (error: Error) => this.logger.debug('mDNS warning', { error: error.message }));
    socket.on('error', (error: Error) => this.logger.warn('mDNS socket error', { error: error.message }));
    socket.on('response', (packet: Packet) => this.learn(packet));
    socket.on('query', (packet: Packet) => this.answer(packet));
    this.socket = socket;
    return socket;
  }

  /**
   * Announces `instance`. Without an internal gRPC port (0) nothing is announced and the resolver only looks
   * others up; a later `init` with the port announces (so a resolver can be shared before the port is known).
   */
  async init(instance: ResolverInstance): Promise<void> {
    if (instance.daprInternalPort === 0) return;
    if (!instance.appId || !instance.address || !(instance.daprInternalPort > 0))
      throw new Error('mDNS: the app id, the address and an internal gRPC port above 0 are required');
    const host = hostname();
    const service = `${instance.appId}.local`;
    const instanceName = `${host}:${process.pid}.${service}`;
    const target = `${host}.local`;
    const a: Answer = {
      name: target,
      type: instance.address.includes(':') ? 'AAAA' : 'A',
      ttl: TTL,
      data: instance.address,
    };
    const srv: Answer = {
      name: instanceName,
      type: 'SRV',
      ttl: TTL,
      data: { priority: 0, weight: 0, port: instance.daprInternalPort, target },
    };
    const txt: Answer = { name: instanceName, type: 'TXT', ttl: TTL, data: [instance.appId] };
    const ptr: Answer = { name: service, type: 'PTR', ttl: TTL, data: instanceName };
    const sd: Answer = { name: DNS_SD, type: 'PTR', ttl: TTL, data: service };
    const flush = (r: Answer) => ({ ...r, flush: true });
    this.records = {
      service: [ptr, srv, txt, a],
      instance: [flush(srv), flush(txt), ptr, sd, flush(a)],
      host: [flush(a)],
      names: { service: lower(service), instance: lower(instanceName), host: lower(target) },
    };
    const socket = this.open();
    // A host without a usable multicast interface must not stop the sidecar: it only cannot be found by mDNS.
    const ready = await new Promise<boolean>((resolve) => {
      socket.once('ready', () => resolve(true));
      socket.once('error', () => resolve(false));
    });
    if (!ready) {
      this.logger.warn('mDNS is unavailable on this host: other sidecars cannot resolve this app by mDNS');
      return;
    }
    this.announce(TTL);
    // zeroconf repeats the announcement 1 s and 2 s later.
    for (const delay of [1000, 3000]) setTimeout(() => this.announce(TTL), delay).unref();
    this.logger.info(
      `local service entry announced: ${instance.appId} -> ${instance.address}:${instance.daprInternalPort}`,
    );
  }

  private announce(ttl: number): void {
    if (!this.records || !this.socket) return;
    const [ptr, srv, txt, a] = this.records.service as [Answer, Answer, Answer, Answer];
    const withTtl = (r: Answer) => ({ ...r, ttl });
    this.socket.respond({ answers: [ptr, srv, txt, a].map(withTtl) } as never);
  }

  /** Answers queries for our records (service browse, instance lookup, host address, dns-sd enumeration). */
  private answer(packet: Packet): void {
    const records = this.records;
    if (!records || !this.socket) return;
    if (((packet as { authorities?: unknown[] }).authorities?.length ?? 0) > 0) return; // a probe
    for (const q of packet.questions ?? []) {
      const name = lower(q.name);
      if (name === records.names.service && (q.type === 'PTR' || q.type === 'ANY'))
        this.socket.respond({ answers: [records.service[0]], additionals: records.service.slice(1) } as never);
      else if (name === records.names.instance) this.socket.respond({ answers: records.instance } as never);
      else if (name === records.names.host && (q.type === 'A' || q.type === 'AAAA' || q.type === 'ANY'))
        this.socket.respond({ answers: records.host } as never);
      else if (name === DNS_SD && (q.type === 'PTR' || q.type === 'ANY'))
        this.socket.respond({ answers: [records.instance[3]] } as never);
    }
  }

  /** Caches every `<appId> → ip:port` a response proves (PTR → SRV + TXT == appId → A/AAAA). */
  private learn(packet: Packet): void {
    const all = [...(packet.answers ?? []), ...(packet.additionals ?? [])];
    const ptrs = all.filter((r) => r.type === 'PTR' && lower(r.name).endsWith('.local'));
    let learned = false;
    for (const ptr of ptrs) {
      const instanceName = lower(String(ptr.data));
      const appId = lower(ptr.name).slice(0, -'.local'.length);
      const srv = all.find((r) => r.type === 'SRV' && lower(r.name) === instanceName);
      const txt = all.find((r) => r.type === 'TXT' && lower(r.name) === instanceName);
      if (!srv || !txt || !txtStrings(txt.data).some((s) => s.toLowerCase() === appId)) continue;
      const { port, target } = srv.data as { port: number; target: string };
      const ttl = srv.ttl ?? TTL;
      for (const rec of all) {
        if ((rec.type !== 'A' && rec.type !== 'AAAA') || lower(rec.name) !== lower(target)) continue;
        const address = rec.type === 'AAAA' ? `[${String(rec.data)}]:${port}` : `${String(rec.data)}:${port}`;
        const entry = this.cache.get(appId) ?? { addresses: new Map(), next: 0 };
        if (ttl === 0) entry.addresses.delete(address);
        else entry.addresses.set(address, Date.now() + CACHE_MS);
        this.cache.set(appId, entry);
        learned = true;
      }
    }
    if (learned) for (const wake of this.waiters) wake();
  }

  private cached(appId: string): string | undefined {
    const entry = this.cache.get(appId.toLowerCase());
    if (!entry) return undefined;
    const now = Date.now();
    for (const [address, expiry] of entry.addresses) if (expiry < now) entry.addresses.delete(address);
    const all = [...entry.addresses.keys()];
    const v4 = all.filter((a) => !a.startsWith('['));
    const pool = v4.length > 0 ? v4 : all;
    if (pool.length === 0) return undefined;
    entry.next = (entry.next + 1) % pool.length;
    return pool[entry.next];
  }

  resolve(request: ResolveRequest): Promise<string> {
    const hit = this.cached(request.id);
    if (hit !== undefined) return Promise.resolve(hit);
    const id = request.id.toLowerCase();
    let pending = this.browsing.get(id);
    if (pending === undefined) {
      pending = this.browse(id).finally(() => this.browsing.delete(id));
      this.browsing.set(id, pending);
    }
    return pending;
  }

  private async browse(id: string): Promise<string> {
    const socket = this.open();
    return new Promise<string>((resolve, reject) => {
      const wake = () => {
        const address = this.cached(id);
        if (address === undefined) return;
        finish();
        resolve(address);
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`couldn't find service: ${id}`));
      }, BROWSE_MS);
      const finish = () => {
        clearTimeout(timer);
        this.waiters.delete(wake);
      };
      this.waiters.add(wake);
      socket.query({ questions: [{ name: `${id}.local`, type: 'PTR' }] } as never);
    });
  }

  async close(): Promise<void> {
    const socket = this.socket;
    if (!socket) return;
    this.announce(0); // goodbye
    this.records = undefined;
    this.socket = undefined;
    await new Promise<void>((resolve) => setTimeout(resolve, 20));
    await new Promise<void>((resolve) => socket.destroy(() => resolve()));
  }
}
