import type { Logger } from './v1/common.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const rank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/**
 * A line-per-event logger on stderr. Fields are the caller's responsibility: pass names, never
 * metadata values (which may be secrets).
 */
export function createLogger(options: { name?: string; level?: LogLevel; json?: boolean } = {}): Logger {
  const min = rank[options.level ?? (process.env.DAPRKIT_LOG_LEVEL as LogLevel | undefined) ?? 'info'] ?? rank.info;
  const emit = (level: LogLevel, message: string, fields?: Record<string, unknown>) => {
    if (rank[level] < min) return;
    const record = { time: new Date().toISOString(), level, scope: options.name, msg: message, ...fields };
    if (options.json) {
      process.stderr.write(`${JSON.stringify(record)}\n`);
    } else {
      const extra = fields && Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : '';
      process.stderr.write(
        `${record.time} ${level.toUpperCase().padEnd(5)} ${options.name ? `[${options.name}] ` : ''}${message}${extra}\n`,
      );
    }
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
  };
}
