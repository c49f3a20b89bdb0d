/**
 * MySQL/MariaDB result columns (raw text-protocol bytes) → the JSON object contrib's binding builds: go-sql-driver
 * v1.7 scans each column into its scan type and contrib keeps what `driver.Valuer` gives, or the raw bytes, then
 * `json.Marshal`s a map per row. The resulting quirks are kept on purpose, because apps parse these bytes:
 * - integer, float and date/time columns that are NULL are omitted from the row object;
 * - VARCHAR/CHAR/TEXT/LONGTEXT columns are strings (NULL → `""`); every other byte column (DECIMAL, BLOB,
 *   BINARY, TIME, BIT, MEDIUMTEXT, MySQL 8's JSON ...) is base64 of its bytes (NULL → `null`);
 * - DATE/DATETIME/TIMESTAMP become RFC 3339 (UTC, the driver's default location);
 * - a later column with the same name overwrites an earlier one, unless it is omitted.
 */
import { GoJsonRaw } from '@daprkit/component-sdk';

/** The parts of a mysql2 FieldPacket the encoding depends on. */
export interface ColumnInfo {
  name: string;
  columnType: number;
  flags: number;
  characterSet: number;
}

const NOT_NULL = 1;
const BINARY_CHARSET = 63;

const T = {
  decimal: 0,
  tiny: 1,
  short: 2,
  long: 3,
  float: 4,
  double: 5,
  null: 6,
  timestamp: 7,
  longlong: 8,
  int24: 9,
  date: 10,
  time: 11,
  datetime: 12,
  year: 13,
  newdate: 14,
  varchar: 15,
  bit: 16,
  json: 245,
  newdecimal: 246,
  enum: 247,
  set: 248,
  tinyBlob: 249,
  mediumBlob: 250,
  longBlob: 251,
  blob: 252,
  varString: 253,
  string: 254,
  geometry: 255,
} as const;

const INTEGER = new Set<number>([T.tiny, T.short, T.long, T.longlong, T.int24, T.year]);
const TIMES = new Set<number>([T.date, T.newdate, T.timestamp, T.datetime]);

/** go-sql-driver's `DatabaseTypeName` for the byte-scanned types; contrib turns only four of them into strings. */
function databaseTypeName(c: ColumnInfo): string {
  const binary = c.characterSet === BINARY_CHARSET;
  switch (c.columnType) {
    case T.varchar:
    case T.varString:
      return binary ? 'VARBINARY' : 'VARCHAR';
    case T.string:
      return binary ? 'BINARY' : 'CHAR';
    case T.blob:
      return binary ? 'BLOB' : 'TEXT';
    case T.longBlob:
      return binary ? 'LONGBLOB' : 'LONGTEXT';
    case T.mediumBlob:
      return binary ? 'MEDIUMBLOB' : 'MEDIUMTEXT';
    case T.tinyBlob:
      return binary ? 'TINYBLOB' : 'TINYTEXT';
    default:
      return 'OTHER';
  }
}
const STRING_TYPES = new Set(['VARCHAR', 'CHAR', 'TEXT', 'LONGTEXT']);

/** Shortest decimal that reads back as the same float32, as Go's encoder prints a float32. */
function float32Text(value: number): number {
  const f = Math.fround(value);
  for (let precision = 1; precision <= 9; precision++) {
    const candidate = Number(f.toPrecision(precision));
    if (Math.fround(candidate) === f) return candidate;
  }
  return f;
}

/** `YYYY-MM-DD[ HH:MM:SS[.ffffff]]` read in UTC → RFC3339Nano; the zero date is Go's zero time. */
function timeText(text: string): string {
  const m = /^(\d{4})-(\d\d)-(\d\d)(?: (\d\d):(\d\d):(\d\d)(?:\.(\d+))?)?$/.exec(text);
  if (m === null) return text;
  const [, y, mo, d, h = '00', mi = '00', s = '00', frac = ''] = m;
  if (y === '0000' && mo === '00' && d === '00') return '0001-01-01T00:00:00Z';
  const digits = frac.replace(/0+$/, '');
  return `${y}-${mo}-${d}T${h}:${mi}:${s}${digits === '' ? '' : `.${digits}`}Z`;
}

const OMIT = Symbol('omit');

/**
 * One column. `binaryProtocol`: contrib's driver uses a prepared statement when the request has `params`, and
 * then a nullable FLOAT arrives as a float32 widened to float64 (`1.100000023841858`) instead of parsed text.
 */
function columnValue(c: ColumnInfo, raw: Buffer | null, binaryProtocol: boolean): unknown {
  const nullable = (c.flags & NOT_NULL) === 0;
  if (INTEGER.has(c.columnType)) {
    if (raw === null) return nullable ? OMIT : GoJsonRaw.number('0');
    return GoJsonRaw.number(raw.toString());
  }
  if (c.columnType === T.float || c.columnType === T.double) {
    if (raw === null) return nullable ? OMIT : 0;
    const n = Number(raw.toString());
    if (c.columnType === T.double) return n;
    return nullable ? (binaryProtocol ? Math.fround(n) : n) : float32Text(n);
  }
  if (TIMES.has(c.columnType)) return raw === null ? OMIT : timeText(raw.toString());
  if (c.columnType === T.null) return null;
  if (STRING_TYPES.has(databaseTypeName(c))) return raw === null ? '' : raw.toString('utf8');
  return raw === null ? null : raw.toString('base64');
}

/** The rows, or `null` for none (Go marshals the nil slice contrib starts from). */
export function rowsOf(columns: readonly ColumnInfo[], rows: readonly (Buffer | null)[][], binaryProtocol: boolean) {
  if (rows.length === 0) return null;
  return rows.map((row) => {
    const record: Record<string, unknown> = {};
    columns.forEach((c, i) => {
      const value = columnValue(c, row[i] ?? null, binaryProtocol);
      if (value !== OMIT) record[c.name] = value;
    });
    return record;
  });
}
