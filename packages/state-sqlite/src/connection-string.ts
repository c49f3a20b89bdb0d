/**
 * contrib's connection-string rules (`common/authentication/sqlite`) turned into what better-sqlite3 can open.
 * contrib hands a rewritten `file:` URI to modernc's driver, which interprets `_pragma`/`_txlock` itself and lets
 * SQLite read the rest (`mode`, `immutable`, `cache`). better-sqlite3 is built without URI filenames, so the URI is
 * taken apart here: the path and open flags go to the constructor, the pragmas are run after opening.
 */
import { InvalidMetadataError } from '@daprkit/component-sdk';

export type JournalMode = 'WAL' | 'DELETE' | 'MEMORY';
export type TxLock = 'immediate' | 'deferred' | 'exclusive';

export interface OpenTarget {
  /** What better-sqlite3 opens: a path, or `:memory:`. */
  filename: string;
  memory: boolean;
  readonly: boolean;
  /** `mode=rw`: open an existing file only. */
  fileMustExist: boolean;
  /** `PRAGMA` bodies from `_pragma=` (modernc's `name(value)` form), in order. */
  pragmas: string[];
  journalMode: JournalMode;
  txLock: TxLock;
  /** Query parameters SQLite would have read but this driver cannot honour (reported as a warning). */
  ignored: string[];
  /** `txlock` was given and is not `immediate` (contrib warns). */
  nonImmediateTxLock: boolean;
}

const FORBIDDEN_PRAGMAS: [prefix: string, message: string][] = [
  ['busy_timeout', "found forbidden option '_pragma=busy_timeout' in the connection string (use 'busyTimeout')"],
  ['journal_mode', "found forbidden option '_pragma=journal_mode' in the connection string (use 'disableWAL')"],
  ['foreign_keys', "found forbidden option '_pragma=foreign_keys' in the connection string"],
];

/** Parameters modernc or SQLite read, and what happens to them here. */
const HANDLED = new Set(['_pragma', '_txlock', 'mode', 'immutable', 'cache', '_time_format']);

/** contrib's in-memory test: the raw string starts with `:memory:` or `file::memory:` (case-insensitive). */
export function isInMemory(connectionString: string): boolean {
  const lc = connectionString.toLowerCase();
  return lc.startsWith(':memory:') || lc.startsWith('file::memory:');
}

/** SQLite's URI path rules: optional `//` + empty or `localhost` authority, then a percent-decoded path. */
function uriPath(afterScheme: string): string {
  let path = afterScheme;
  if (path.startsWith('//')) {
    const slash = path.indexOf('/', 2);
    const authority = slash < 0 ? path.slice(2) : path.slice(2, slash);
    if (authority !== '' && authority.toLowerCase() !== 'localhost') {
      throw new InvalidMetadataError('connectionString', `invalid uri authority: '${authority}'`);
    }
    path = slash < 0 ? '' : path.slice(slash);
  }
  try {
    return decodeURIComponent(path);
  } catch {
    throw new InvalidMetadataError('connectionString', 'the file path is not valid percent-encoding');
  }
}

export function parseConnectionString(connectionString: string, disableWAL: boolean): OpenTarget {
  const memory = isInMemory(connectionString);
  const q = connectionString.indexOf('?');
  // contrib only splits off a query string when '?' is not the first character.
  const head = q > 0 ? connectionString.slice(0, q) : connectionString;
  const params = new URLSearchParams(q > 0 ? connectionString.slice(q + 1) : '');

  const first = (name: string) => params.getAll(name)[0];
  const mode = first('mode');
  const readonly = mode === 'ro' || first('immutable') === '1';
  const txLockRaw = first('_txlock')?.toLowerCase();
  let txLock: TxLock = 'immediate';
  if (txLockRaw !== undefined) {
    if (txLockRaw !== 'immediate' && txLockRaw !== 'deferred' && txLockRaw !== 'exclusive') {
      throw new InvalidMetadataError('connectionString', `unknown _txlock '${txLockRaw}'`);
    }
    txLock = txLockRaw;
  }
  const pragmas = params.getAll('_pragma');
  for (const pragma of pragmas) {
    const lc = pragma.toLowerCase();
    for (const [prefix, message] of FORBIDDEN_PRAGMAS) {
      if (lc.startsWith(prefix)) throw new InvalidMetadataError('connectionString', message);
    }
    if (!/^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?(?:\([^;()]*\)|=[^;()]*)?$/.test(pragma.trim())) {
      throw new InvalidMetadataError('connectionString', `invalid _pragma '${pragma}'`);
    }
  }
  const journalMode: JournalMode = memory ? 'MEMORY' : disableWAL || readonly ? 'DELETE' : 'WAL';
  const ignored = [...new Set(params.keys())].filter((name) => !HANDLED.has(name));

  let filename: string;
  if (memory || mode === 'memory') {
    filename = ':memory:';
  } else if (head.toLowerCase().startsWith('file:')) {
    filename = uriPath(head.slice('file:'.length));
  } else {
    // contrib prefixes `file:`, so a plain path is a URI path as well (percent escapes decode).
    filename = uriPath(head);
  }
  if (filename === '') throw new InvalidMetadataError('connectionString', 'has no file path');
  if (mode !== undefined && !['ro', 'rw', 'rwc', 'memory'].includes(mode)) {
    throw new InvalidMetadataError('connectionString', `no such access mode: ${mode}`);
  }
  return {
    filename,
    memory: filename === ':memory:',
    readonly: readonly && filename !== ':memory:',
    fileMustExist: mode === 'rw',
    pragmas,
    journalMode,
    txLock,
    ignored,
    nonImmediateTxLock: txLockRaw !== undefined && txLockRaw !== 'immediate',
  };
}
