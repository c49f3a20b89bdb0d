/**
 * Command lines: `runPluginCli` behind each component package's bin, and `daprkit-serve <package>...`,
 * which loads component packages by name and serves all their definitions from one process.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { createLogger, type LogLevel } from '../logger.js';
import type { ComponentDefinition } from '../v1/definition.js';
import { type Served, type ServeOptions, serve } from './serve.js';

const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

const PLUGIN_USAGE = `usage: <bin> [--socket PATH | --socket-folder DIR] [--log-level debug|info|warn|error]
  --socket PATH         serve on exactly this socket file
  --socket-folder DIR   serve <socket-name>.sock files in DIR (default: DAPR_COMPONENTS_SOCKETS_FOLDER,
                        DAPR_COMPONENT_SOCKETS_FOLDER, DAPR_COMPONENT_SOCKET_FOLDER, /tmp/dapr-components-sockets)`;

const SERVE_USAGE = `usage: daprkit-serve <package|path>... [--socket-folder DIR] [--log-level debug|info|warn|error]
  Each package must export \`definitions\` (ComponentDefinition[]); every socket name gets its own socket.`;

export class UsageError extends Error {}

function logLevelOf(value: string | undefined): LogLevel {
  const level = (value ?? process.env.DAPRKIT_LOG_LEVEL ?? 'info') as LogLevel;
  if (!LOG_LEVELS.includes(level))
    throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}, got '${value}'`);
  return level;
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
  const { values } = parse(
    argv,
    {
      socket: { type: 'string' },
      'socket-folder': { type: 'string' },
      'log-level': { type: 'string' },
      help: { type: 'boolean' },
    },
    false,
  );
  if (values.help) throw new UsageError('');
  const socketPath = values.socket as string | undefined;
  const socketFolder = values['socket-folder'] as string | undefined;
  if (socketPath !== undefined && socketFolder !== undefined)
    throw new UsageError('give either --socket or --socket-folder, not both');
  const logger = createLogger({ name: 'daprkit', level: logLevelOf(values['log-level'] as string | undefined) });
  return serve({ components: definitions, socketPath, socketFolder, logger, ...overrides });
}

export async function startServeCli(
  argv: string[],
  overrides: Partial<ServeOptions> = {},
  fromDir = process.cwd(),
): Promise<Served> {
  const { values, positionals } = parse(
    argv,
    { 'socket-folder': { type: 'string' }, 'log-level': { type: 'string' }, help: { type: 'boolean' } },
    true,
  );
  if (values.help) throw new UsageError('');
  if (positionals.length === 0) throw new UsageError('name at least one component package');
  const logger = createLogger({ name: 'daprkit', level: logLevelOf(values['log-level'] as string | undefined) });
  const components: ComponentDefinition[] = [];
  for (const spec of positionals) {
    const definitions = await loadDefinitions(spec, fromDir);
    logger.info('loaded component package', {
      package: spec,
      definitions: definitions.map((d) => `${d.kind}:${d.socketName}`),
    });
    components.push(...definitions);
  }
  return serve({ components, socketFolder: values['socket-folder'] as string | undefined, logger, ...overrides });
}

/** Bin entry of a component package: serve its definitions until SIGTERM/SIGINT. */
export async function runPluginCli(definitions: ComponentDefinition[], argv: string[]): Promise<void> {
  await runOrExit(() => startPluginCli(definitions, argv, { handleSignals: true }), PLUGIN_USAGE);
}

/** `daprkit-serve <package>... [--socket-folder DIR]`. */
export async function runServeCli(argv: string[]): Promise<void> {
  await runOrExit(() => startServeCli(argv, { handleSignals: true }), SERVE_USAGE);
}

async function runOrExit(start: () => Promise<Served>, usage: string): Promise<void> {
  try {
    await start();
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(err.message ? `${err.message}\n${usage}\n` : `${usage}\n`);
      process.exit(err.message ? 2 : 0);
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
