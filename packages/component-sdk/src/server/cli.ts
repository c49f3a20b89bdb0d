/**
 * Command lines: `runPluginCli` behind each component package's bin, and `daprkit-serve <package>...`,
 * which loads component packages by name and serves all their definitions from one process.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { createLogger, type LogLevel } from '../logger.js';
import type { ComponentDefinition } from '../v1/definition.js';
import { componentKindInfo } from '../v1/kinds.js';
import { METRICS_HOST_ENV_VAR } from './metrics.js';
import { parseSocketMode, type Served, type ServeOptions, serve } from './serve.js';
import { resolveSocketFolder, SOCKET_EXTENSION } from './socket-files.js';

const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

const COMMON_FLAGS = `  --socket-folder DIR   serve <socket-name>.sock files in DIR (default: DAPR_COMPONENTS_SOCKETS_FOLDER,
                        DAPR_COMPONENT_SOCKETS_FOLDER, DAPR_COMPONENT_SOCKET_FOLDER, /tmp/dapr-components-sockets)
  --log-level LEVEL     debug, info (default; or DAPRKIT_LOG_LEVEL), warn, error
  --log-as-json         one JSON object per line in daprd's shape (time, level, msg, scope, type, instance, ver);
                        or DAPRKIT_LOG_AS_JSON=true
  --metrics-port PORT   serve Prometheus metrics (calls, errors, latency per method and instance) on
                        127.0.0.1:PORT (default: off, or DAPRKIT_METRICS_PORT; host: DAPRKIT_METRICS_HOST)
  --socket-mode OCTAL   socket file mode (default 660, or DAPRKIT_SOCKET_MODE): owner and group may connect,
                        other users may not; 666 lets every local user connect (and re-Init your instances)
  --ready-file PATH     once every socket accepts connections, write PATH (JSON: pid, sockets, types) and print
                        'ready' on stdout: start daprd after that, it discovers sockets only at start-up
  -h, --help            this text
  -v, --version         the package version`;

/** What a bin is called: its file name, else derived from the package name (`@daprkit/x` → `daprkit-x`). */
function binNameOf(definitions: readonly ComponentDefinition[]): string {
  const script = process.argv[1] === undefined ? '' : basename(process.argv[1]).replace(/\.[cm]?js$/, '');
  if (script.startsWith('daprkit-') || script.startsWith('create-')) return script;
  const pkg = definitions[0]?.packageName ?? 'daprkit-plugin';
  return pkg.replace(/^@/, '').replace('/', '-');
}

/** `state.daprkit-redis`: what a daprd YAML names for this definition served on `socketName`. */
export function pluggableTypeOf(definition: ComponentDefinition, socketName = definition.socketName): string {
  return `${componentKindInfo(definition.kind).category}.${socketName}`;
}

/** The help text of a component package's bin: flags, the socket file(s) it creates and the YAML types to write. */
export function pluginUsage(definitions: readonly ComponentDefinition[]): string {
  const first = definitions[0];
  const bin = binNameOf(definitions);
  const folder = resolveSocketFolder(undefined);
  const sockets = [...new Set(definitions.map((d) => d.socketName))];
  const yamlTypes = [...new Set(definitions.map((d) => pluggableTypeOf(d)))];
  const inProcess = [...new Set(definitions.flatMap((d) => d.types))];
  return [
    `${bin} ${first?.version ?? ''} — ${first?.packageName ?? ''} as a Dapr pluggable component on a unix socket`,
    `usage: npx ${first?.packageName ?? bin} [--socket PATH | --socket-folder DIR] [--log-level LEVEL] [--ready-file PATH]`,
    '  --socket PATH         serve on exactly this socket file (its name, without .sock, is then the YAML type suffix)',
    COMMON_FLAGS,
    '',
    `Creates:        ${sockets.map((s) => join(folder, `${s}${SOCKET_EXTENSION}`)).join(', ')}`,
    `Component YAML: spec.type: ${yamlTypes.join(' | ')}   (spec.version: v1)`,
    ...(inProcess.length > 0 ? [`In the daprkit sidecar (in process): spec.type: ${inProcess.join(' | ')}`] : []),
  ].join('\n');
}

const SERVE_USAGE = `usage: daprkit-serve <package|path>... [--socket-folder DIR] [--log-level LEVEL] [--ready-file PATH]
  Each package must export \`definitions\` (ComponentDefinition[]); every socket name gets its own socket.
${COMMON_FLAGS}`;

export class UsageError extends Error {}

/** `--help`/`--version`: print `text` on stdout and exit 0 (not an error). */
class InfoRequest extends Error {}

const FLAG_OPTIONS = {
  'socket-folder': { type: 'string' },
  'log-level': { type: 'string' },
  'log-as-json': { type: 'boolean' },
  'metrics-port': { type: 'string' },
  'ready-file': { type: 'string' },
  'socket-mode': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
} as const;

function logLevelOf(value: string | undefined): LogLevel {
  const level = (value ?? process.env.DAPRKIT_LOG_LEVEL ?? 'info') as LogLevel;
  if (!LOG_LEVELS.includes(level))
    throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}, got '${value}'`);
  return level;
}

/** The logger and metrics options every plugin bin takes from its flags. */
function commonOptions(values: Record<string, unknown>, version: string | undefined) {
  const logger = createLogger({
    name: 'daprkit',
    level: logLevelOf(values['log-level'] as string | undefined),
    ...(values['log-as-json'] ? { json: true } : {}),
    ...(version ? { version } : {}),
  });
  const text = values['metrics-port'] as string | undefined;
  if (text === undefined) return { logger };
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`--metrics-port must be a port number, got '${text}'`);
  return { logger, metrics: { port, host: process.env[METRICS_HOST_ENV_VAR] || '127.0.0.1' } };
}

function parse(argv: string[], options: NonNullable<ParseArgsConfig['options']>, allowPositionals: boolean) {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** Parses the plugin flags and serves; returns the handle (tests and embedders close it themselves). */
export async function startPluginCli(
  definitions: ComponentDefinition[],
  argv: string[],
  overrides: Partial<ServeOptions> = {},
): Promise<Served> {
  const { values } = parse(argv, { socket: { type: 'string' }, ...FLAG_OPTIONS }, false);
  if (values.help) throw new InfoRequest(pluginUsage(definitions));
  if (values.version) throw new InfoRequest(definitions[0]?.version ?? 'unknown');
  const socketPath = values.socket as string | undefined;
  const socketFolder = values['socket-folder'] as string | undefined;
  if (socketPath !== undefined && socketFolder !== undefined)
    throw new UsageError('give either --socket or --socket-folder, not both');
  const common = commonOptions(values, definitions[0]?.version);
  const served = await serve({
    components: definitions,
    socketPath,
    socketFolder,
    ...common,
    ...socketModeOption(values['socket-mode'] as string | undefined),
    ...overrides,
  });
  announce(served, definitions, values['ready-file'] as string | undefined);
  return served;
}

/**
 * One line a person (or a script) can act on: where each socket is and the YAML type to write; with
 * `--ready-file`, the file appears (atomically) only once every socket accepts connections.
 */
function announce(served: Served, definitions: readonly ComponentDefinition[], readyFile: string | undefined): void {
  const sockets = served.sockets.map((socket) => {
    const name = basename(socket.path).replace(/\.sock$/, '');
    const types = definitions.filter((d) => d.socketName === socket.name).map((d) => pluggableTypeOf(d, name));
    return { path: socket.path, types: [...new Set(types)] };
  });
  for (const socket of sockets) {
    process.stderr.write(`daprkit: serving ${socket.path} — component YAML spec.type: ${socket.types.join(', ')}\n`);
  }
  if (readyFile === undefined) return;
  const target = resolve(readyFile);
  const temporary = `${target}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify({ pid: process.pid, sockets }, null, 2)}\n`);
  renameSync(temporary, target);
  process.stdout.write('ready\n');
}

export async function startServeCli(
  argv: string[],
  overrides: Partial<ServeOptions> = {},
  fromDir = process.cwd(),
): Promise<Served> {
  const { values, positionals } = parse(argv, FLAG_OPTIONS, true);
  if (values.help) throw new InfoRequest(SERVE_USAGE);
  if (values.version) throw new InfoRequest(readOwnVersion());
  if (positionals.length === 0) throw new UsageError('name at least one component package');
  const common = commonOptions(values, undefined);
  const { logger } = common;
  const components: ComponentDefinition[] = [];
  for (const spec of positionals) {
    const definitions = await loadDefinitions(spec, fromDir);
    logger.info('loaded component package', {
      package: spec,
      definitions: definitions.map((d) => `${d.kind}:${d.socketName}`),
    });
    components.push(...definitions);
  }
  const served = await serve({
    components,
    socketFolder: values['socket-folder'] as string | undefined,
    ...common,
    ...socketModeOption(values['socket-mode'] as string | undefined),
    ...overrides,
  });
  announce(served, components, values['ready-file'] as string | undefined);
  return served;
}

function socketModeOption(text: string | undefined): Pick<ServeOptions, 'socketMode'> {
  if (text === undefined) return {};
  try {
    return { socketMode: parseSocketMode(text, '--socket-mode') };
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

function readOwnVersion(): string {
  const manifest = new URL('../../package.json', import.meta.url);
  return (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
}

/** Bin entry of a component package: serve its definitions until SIGTERM/SIGINT. */
export async function runPluginCli(definitions: ComponentDefinition[], argv: string[]): Promise<void> {
  await runOrExit(
    () => startPluginCli(definitions, argv, { handleSignals: true }),
    () => pluginUsage(definitions),
  );
}

/** `daprkit-serve <package>... [--socket-folder DIR]`. */
export async function runServeCli(argv: string[]): Promise<void> {
  await runOrExit(
    () => startServeCli(argv, { handleSignals: true }),
    () => SERVE_USAGE,
  );
}

async function runOrExit(start: () => Promise<Served>, usage: () => string): Promise<void> {
  try {
    await start();
  } catch (err) {
    if (err instanceof InfoRequest) {
      process.stdout.write(`${err.message}\n`);
      process.exit(0);
    }
    if (err instanceof UsageError) {
      process.stderr.write(`${err.message}\n${usage()}\n`);
      process.exit(2);
    }
    process.stderr.write(`daprkit: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
}

/** Imports a component package (by name, resolved from `fromDir`, or by path) and returns its `definitions`. */
export async function loadDefinitions(spec: string, fromDir: string): Promise<ComponentDefinition[]> {
  const module = (await import(resolvePackageEntry(spec, fromDir))) as {
    definitions?: unknown;
    default?: { definitions?: unknown };
  };
  const definitions = module.definitions ?? module.default?.definitions;
  if (!Array.isArray(definitions) || definitions.length === 0 || !definitions.every(isDefinition)) {
    throw new Error(`'${spec}' does not export \`definitions\` (a non-empty ComponentDefinition[])`);
  }
  return definitions;
}

function isDefinition(value: unknown): value is ComponentDefinition {
  const d = value as Partial<ComponentDefinition> | null;
  return (
    typeof d === 'object' &&
    d !== null &&
    typeof d.kind === 'string' &&
    typeof d.socketName === 'string' &&
    typeof d.create === 'function'
  );
}

/**
 * A URL `import()` can load. Bare names are looked up in `node_modules` from `fromDir` upwards (the
 * user's project, not this package's location), honouring `exports` (import/node/default conditions).
 * A name found nowhere is left to Node's own resolution.
 */
export function resolvePackageEntry(spec: string, fromDir: string): string {
  if (spec.startsWith('file:')) return spec;
  if (spec.startsWith('.') || spec.startsWith('/')) return pathToFileURL(resolve(fromDir, spec)).href;
  const parts = spec.split('/');
  const nameLength = spec.startsWith('@') ? 2 : 1;
  const name = parts.slice(0, nameLength).join('/');
  const subpath = parts.length > nameLength ? `./${parts.slice(nameLength).join('/')}` : '.';
  for (let dir = resolve(fromDir); ; dir = dirname(dir)) {
    const packageDir = join(dir, 'node_modules', name);
    if (existsSync(join(packageDir, 'package.json'))) {
      const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as {
        exports?: unknown;
        main?: string;
      };
      const target =
        manifest.exports !== undefined
          ? exportTarget(manifest.exports, subpath)
          : subpath === '.'
            ? (manifest.main ?? 'index.js')
            : subpath;
      if (target === undefined) throw new Error(`package '${name}' does not export '${subpath}'`);
      return pathToFileURL(join(packageDir, target)).href;
    }
    if (dirname(dir) === dir) return spec;
  }
}

const IMPORT_CONDITIONS = new Set(['import', 'node', 'default']);

function exportTarget(exportsField: unknown, subpath: string): string | undefined {
  if (typeof exportsField === 'string' || Array.isArray(exportsField))
    return subpath === '.' ? conditionTarget(exportsField) : undefined;
  if (typeof exportsField !== 'object' || exportsField === null) return undefined;
  const entries = exportsField as Record<string, unknown>;
  const isSubpathMap = Object.keys(entries).some((key) => key.startsWith('.'));
  if (isSubpathMap) return conditionTarget(entries[subpath]);
  return subpath === '.' ? conditionTarget(entries) : undefined;
}

function conditionTarget(entry: unknown): string | undefined {
  if (typeof entry === 'string') return entry;
  if (Array.isArray(entry)) {
    for (const candidate of entry) {
      const target = conditionTarget(candidate);
      if (target !== undefined) return target;
    }
    return undefined;
  }
  if (typeof entry === 'object' && entry !== null) {
    for (const [condition, value] of Object.entries(entry)) {
      if (!IMPORT_CONDITIONS.has(condition)) continue;
      const target = conditionTarget(value);
      if (target !== undefined) return target;
    }
  }
  return undefined;
}
