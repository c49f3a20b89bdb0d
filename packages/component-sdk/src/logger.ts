import { hostname } from 'node:os';
import type { Logger } from './v1/common.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const rank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
/** dapr/kit (logrus) spells warn `warning` in JSON. */
const JSON_LEVEL: Record<LogLevel, string> = { debug: 'debug', info: 'info', warn: 'warning', error: 'error' };
/** Keys of daprd's JSON shape; a structured field with one of these names is written as `fields.<name>`. */
const RESERVED = new Set(['time', 'level', 'msg', 'scope', 'type', 'instance', 'ver', 'app_id']);

/** `DAPRKIT_LOG_AS_JSON=true` turns JSON on where `json` is not given (plugins, the sidecar). */
export const LOG_AS_JSON_ENV_VAR = 'DAPRKIT_LOG_AS_JSON';

export interface LoggerOptions {
  /** The scope (daprd: `dapr.runtime`, `dapr.runtime.http`, …). */
  name?: string;
  level?: LogLevel;
  /** daprd's `--log-as-json` shape: time, level, msg, scope, type, instance, ver, app_id + fields. */
  json?: boolean;
  /** `app_id` in JSON lines (daprd adds it once the app id is known). */
  appId?: string;
  /** `ver` in JSON lines; default `unknown`. */
  version?: string;
  /** Where lines go; default stderr. */
  write?: (line: string) => void;
}

const factories = new WeakMap<Logger, LoggerOptions>();

export function logAsJsonFromEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  return /^(1|true|yes|on)$/i.test(env[LOG_AS_JSON_ENV_VAR] ?? '');
}

/**
 * A line-per-event logger on stderr. Fields are the caller's responsibility: pass names, never
 * metadata values (which may be secrets).
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const min = rank[options.level ?? (process.env.DAPRKIT_LOG_LEVEL as LogLevel | undefined) ?? 'info'] ?? rank.info;
  const json = options.json ?? logAsJsonFromEnv();
  const write = options.write ?? ((line: string) => process.stderr.write(line));
  const instance = json ? hostname() : '';
  const emit = (level: LogLevel, message: string, fields?: Record<string, unknown>) => {
    if (rank[level] < min) return;
    const time = new Date().toISOString();
    if (json) {
      const record: Record<string, unknown> = {};
      if (fields) for (const [k, v] of Object.entries(fields)) record[RESERVED.has(k) ? `fields.${k}` : k] = v;
      if (options.appId) record.app_id = options.appId;
      record.instance = instance;
      record.level = JSON_LEVEL[level];
      record.msg = message;
      record.scope = options.name ?? '';
      record.time = time;
      record.type = 'log';
      record.ver = options.version ?? 'unknown';
      write(`${JSON.stringify(record, jsonSafe)}\n`);
    } else {
      const extra = fields && Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields, jsonSafe)}` : '';
      write(`${time} ${level.toUpperCase().padEnd(5)} ${options.name ? `[${options.name}] ` : ''}${message}${extra}\n`);
    }
  };
  const logger: Logger = {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
  };
  factories.set(logger, { ...options, json });
  return logger;
}

/** BigInts and errors would break or vanish in JSON.stringify. */
function jsonSafe(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Error) return value.message;
  return value;
}

/**
 * The same logger under another scope (daprd's `dapr.runtime.http`, `dapr.apphealth`, …). A logger not made by
 * createLogger gets the scope as a `scope` field instead.
 */
export function scopedLogger(logger: Logger, scope: string): Logger {
  const options = factories.get(logger);
  if (options !== undefined) return createLogger({ ...options, name: scope });
  const withScope = (f?: Record<string, unknown>) => ({ scope, ...f });
  return {
    debug: (m, f) => logger.debug(m, withScope(f)),
    info: (m, f) => logger.info(m, withScope(f)),
    warn: (m, f) => logger.warn(m, withScope(f)),
    error: (m, f) => logger.error(m, withScope(f)),
  };
}
