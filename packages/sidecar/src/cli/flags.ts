/**
 * daprd 1.18's flags (cmd/daprd/options/options.go, `daprd --help`) and pflag's parsing rules: `--flag value`,
 * `--flag=value`, `-flag` (daprd rewrites one dash to two), a value may start with `-` (`--app-max-concurrency -1`),
 * booleans are bare or `--flag=true|false`, list flags repeat and split on commas.
 */

export type FlagKind = 'string' | 'bool' | 'list';

/** `ignored` flags are accepted for drop-in compatibility and named in one warning line when given. */
export interface FlagSpec {
  kind: FlagKind;
  ignored?: string;
}

const s = { kind: 'string' } as const;
const b = { kind: 'bool' } as const;
const l = { kind: 'list' } as const;
const ignored = (kind: FlagKind, why: string): FlagSpec => ({ kind, ignored: why });

export const FLAGS: Record<string, FlagSpec> = {
  // Implemented.
  'app-id': s,
  mode: s,
  'dapr-http-port': s,
  'dapr-grpc-port': s,
  'dapr-internal-grpc-port': s,
  'dapr-internal-grpc-listen-address': s,
  'dapr-listen-addresses': s,
  'dapr-public-port': s,
  'dapr-public-listen-address': s,
  'app-port': s,
  'app-protocol': s,
  'app-channel-address': s,
  'app-max-concurrency': s,
  'app-ssl': b,
  'app-health-check-path': s,
  'enable-app-health-check': b,
  'app-health-probe-interval': s,
  'app-health-probe-timeout': s,
  'app-health-threshold': s,
  'resources-path': l,
  'components-path': l,
  config: l,
  'max-body-size': s,
  'dapr-http-max-request-size': s,
  'read-buffer-size': s,
  'dapr-http-read-buffer-size': s,
  'unix-domain-socket': s,
  'dapr-graceful-shutdown-seconds': s,
  'enable-api-logging': b,
  'allowed-origins': s,
  'enable-metrics': b,
  'metrics-port': s,
  'metrics-listen-address': s,
  'log-level': s,
  'log-as-json': b,
  'enable-mtls': b,
  version: b,
  'build-info': b,
  help: b,
  // daprkit's own.
  'listen-address': s,
  'sockets-folder': s,
  registry: s,
  'allow-browser-requests': b,
  'access-control-trust-caller-id': b,
  // Accepted, without effect here.
  'disable-init-endpoints': ignored('list', 'init endpoints are always called'),
  'app-binding-options-timeout': ignored('string', 'input bindings are not probed'),
  'dapr-block-shutdown-duration': ignored('string', 'shutdown is not blocked on app health'),
  'log-file': ignored('string', 'logs go to stderr'),
  'enable-profiling': ignored('bool', 'no pprof'),
  'profile-port': ignored('string', 'no pprof'),
  'sentry-address': ignored('string', 'no mTLS'),
  'control-plane-address': ignored('string', 'no control plane'),
  'control-plane-trust-domain': ignored('string', 'no control plane'),
  'control-plane-namespace': ignored('string', 'no control plane'),
  'sentry-request-jwt-audiences': ignored('list', 'no mTLS'),
  'placement-host-address': ignored('string', 'no actors'),
  'scheduler-host-address': ignored('list', 'no jobs or reminders'),
  'scheduler-job-streams': ignored('string', 'no jobs or reminders'),
  'actors-disseminate-timeout': ignored('string', 'no actors'),
  'hot-reload-reconcile-interval': ignored('string', 'no hot reload'),
  'disable-builtin-k8s-secret-store': ignored('bool', 'standalone only'),
  'actors-service': ignored('string', 'no effect in daprd either'),
  'reminders-service': ignored('string', 'no effect in daprd either'),
  wait: ignored('bool', 'the sidecar does not wait for outbound readiness'),
};

export class UsageError extends Error {
  override name = 'UsageError';
}

export interface ParsedFlags {
  /** Last value of string flags, `'true'`/`'false'` of booleans. */
  values: Map<string, string>;
  /** Every element of list flags, in order (comma-split like pflag's StringSlice). */
  lists: Map<string, string[]>;
  /** Arguments that are not flags (pflag keeps them; daprd ignores them). */
  positionals: string[];
}

function parseBool(name: string, text: string): string {
  const lower = text.toLowerCase();
  if (['1', 't', 'true'].includes(lower)) return 'true';
  if (['0', 'f', 'false'].includes(lower)) return 'false';
  throw new UsageError(
    `invalid argument "${text}" for "--${name}" flag: strconv.ParseBool: parsing "${text}": invalid syntax`,
  );
}

export function parseFlags(argv: readonly string[]): ParsedFlags {
  const parsed: ParsedFlags = { values: new Map(), lists: new Map(), positionals: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      parsed.positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg === '-h') {
      parsed.values.set('help', 'true');
      continue;
    }
    const m = /^--?([a-z][a-z0-9-]*)(?:=([\s\S]*))?$/.exec(arg);
    if (!m) {
      parsed.positionals.push(arg);
      continue;
    }
    const name = m[1]!;
    const spec = FLAGS[name];
    if (spec === undefined) throw new UsageError(`unknown flag: --${name}`);
    let value = m[2];
    if (spec.kind === 'bool') {
      parsed.values.set(name, value === undefined ? 'true' : parseBool(name, value));
      continue;
    }
    if (value === undefined) {
      if (i + 1 >= argv.length) throw new UsageError(`flag needs an argument: --${name}`);
      value = argv[++i]!;
    }
    if (spec.kind === 'list') {
      const items = value === '' ? [] : value.split(',').map((v) => v.trim());
      parsed.lists.set(name, [...(parsed.lists.get(name) ?? []), ...items]);
      parsed.values.set(name, value);
    } else parsed.values.set(name, value);
  }
  return parsed;
}

/** `--name value` of each given ignored flag, for the one warning line. */
export function ignoredFlags(parsed: ParsedFlags): string[] {
  const out: string[] = [];
  for (const [name, value] of parsed.values) {
    const why = FLAGS[name]?.ignored;
    if (why === undefined) continue;
    // Defaults that `dapr run` always passes and that mean "off" anyway are not worth a warning.
    if ((name === 'profile-port' && parsed.values.get('enable-profiling') !== 'true') || value === 'false') continue;
    out.push(`--${name}${FLAGS[name]!.kind === 'bool' ? '' : ` ${value}`} (${why})`);
  }
  return out;
}
