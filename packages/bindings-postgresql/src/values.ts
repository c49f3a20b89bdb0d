/**
 * PostgreSQL column values (in their text form) → the JSON contrib's binding produces: pgx v5 decodes each column
 * into a Go value (`rows.Values()`) and `json.Marshal` encodes the rows. So int8 and numeric keep every digit,
 * timestamps become RFC 3339 in UTC, bytea base64, uuid an array of 16 byte values, interval and time pgx's structs.
 */
import { GoJsonRaw } from '@daprkit/component-sdk';

const OID = {
  bool: 16,
  bytea: 17,
  char: 18,
  int8: 20,
  int2: 21,
  int4: 23,
  oid: 26,
  xid: 28,
  json: 114,
  float4: 700,
  float8: 701,
  date: 1082,
  time: 1083,
  timestamp: 1114,
  timestamptz: 1184,
  interval: 1186,
  numeric: 1700,
  uuid: 2950,
  jsonb: 3802,
  xid8: 5069,
} as const;

/** Array type → element type, for the arrays pgx decodes into `[]any`. */
const ARRAY_ELEMENT: Record<number, number> = {
  1000: OID.bool,
  1001: OID.bytea,
  1005: OID.int2,
  1007: OID.int4,
  1016: OID.int8,
  1021: OID.float4,
  1022: OID.float8,
  1028: OID.oid,
  1009: 25,
  1014: 1042,
  1015: 1043,
  1182: OID.date,
  1183: OID.time,
  1115: OID.timestamp,
  1185: OID.timestamptz,
  1187: OID.interval,
  1231: OID.numeric,
  2951: OID.uuid,
  199: OID.json,
  3807: OID.jsonb,
};

/** pgx's InfinityModifier has no JSON form of its own: it is an int8, 1 or -1. */
function infinity(text: string): number | undefined {
  if (text === 'infinity') return 1;
  if (text === '-infinity') return -1;
  return undefined;
}

function fraction(digits: string | undefined): string {
  const trimmed = (digits ?? '').replace(/0+$/, '');
  return trimmed === '' ? '' : `.${trimmed}`;
}

const DATE_TIME =
  /^(\d{4,})-(\d\d)-(\d\d)(?: (\d\d):(\d\d):(\d\d)(?:\.(\d+))?)?(?:([+-])(\d\d)(?::(\d\d))?(?::(\d\d))?)?$/;

/** A date/timestamp/timestamptz in PostgreSQL's ISO output → Go's RFC3339Nano of the instant in UTC. */
function timestampOf(text: string): unknown {
  const inf = infinity(text);
  if (inf !== undefined) return inf;
  const m = DATE_TIME.exec(text);
  if (m === null) return text; // BC dates and other rarities: pgx has them, we pass the text on
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac, sign, oh = '0', om = '0', os = '0'] = m;
  const offsetMs = (sign === '-' ? -1 : 1) * (Number(oh) * 3600 + Number(om) * 60 + Number(os)) * 1000;
  const utc = new Date(0);
  utc.setUTCFullYear(Number(y), Number(mo) - 1, Number(d));
  utc.setUTCHours(Number(h), Number(mi), Number(s), 0);
  const instant = new Date(utc.getTime() - (sign === undefined ? 0 : offsetMs));
  return `${instant.toISOString().slice(0, 19)}${fraction(frac)}Z`;
}

function microsOfClock(h: string, m: string, s: string, frac: string | undefined): bigint {
  const micros = BigInt((frac ?? '').padEnd(6, '0').slice(0, 6) || '0');
  return (BigInt(h) * 3600n + BigInt(m) * 60n + BigInt(s)) * 1_000_000n + micros;
}

/** `time` → pgtype.Time `{"Microseconds":…,"Valid":true}`. */
function timeOf(text: string): unknown {
  const m = /^(\d\d):(\d\d):(\d\d)(?:\.(\d+))?$/.exec(text);
  if (m === null) return text;
  return new GoJsonRaw(`{"Microseconds":${microsOfClock(m[1]!, m[2]!, m[3]!, m[4])},"Valid":true}`);
}

/** `interval` (IntervalStyle postgres) → pgtype.Interval `{"Microseconds":…,"Days":…,"Months":…,"Valid":true}`. */
function intervalOf(text: string): unknown {
  let months = 0n;
  let days = 0n;
  let micros = 0n;
  let rest = text;
  for (const part of text.matchAll(/(-?\d+) (year|mon|day)s?/g)) {
    const n = BigInt(part[1]!);
    if (part[2] === 'year') months += n * 12n;
    else if (part[2] === 'mon') months += n;
    else days += n;
    rest = rest.replace(part[0], '');
  }
  const clock = /([+-]?)(\d+):(\d\d):(\d\d)(?:\.(\d+))?/.exec(rest);
  if (clock !== null) {
    const value = microsOfClock(clock[2]!, clock[3]!, clock[4]!, clock[5]);
    micros = clock[1] === '-' ? -value : value;
  }
  if (rest.replace(clock?.[0] ?? '', '').trim() !== '') return text; // another IntervalStyle: pass it on
  return new GoJsonRaw(`{"Microseconds":${micros},"Days":${days},"Months":${months},"Valid":true}`);
}

function hexBytes(text: string): Buffer {
  return Buffer.from(text.startsWith('\\x') ? text.slice(2) : text, 'hex');
}

/** One column value; `text` is PostgreSQL's text output, `null` for SQL NULL. */
export function pgValue(oid: number, text: string | null): unknown {
  if (text === null) return null;
  switch (oid) {
    case OID.bool:
      return text === 't';
    case OID.int2:
    case OID.int4:
    case OID.int8:
    case OID.oid:
    case OID.xid:
    case OID.xid8:
      return GoJsonRaw.number(text);
    case OID.float4:
    case OID.float8:
      // NaN and ±Infinity make Go's encoder fail, and so do they here.
      return Number(text);
    case OID.numeric:
      return text === 'NaN' ? 'NaN' : /^-?\d/.test(text) ? GoJsonRaw.number(text) : text;
    case OID.json:
    case OID.jsonb:
      return JSON.parse(text);
    case OID.bytea:
      return hexBytes(text).toString('base64');
    case OID.uuid:
      return [...Buffer.from(text.replaceAll('-', ''), 'hex')];
    case OID.date:
    case OID.timestamp:
    case OID.timestamptz:
      return timestampOf(text);
    case OID.time:
      return timeOf(text);
    case OID.interval:
      return intervalOf(text);
    default: {
      const element = ARRAY_ELEMENT[oid];
      return element === undefined ? text : parseArray(text, element);
    }
  }
}

/** PostgreSQL's array literal (`{1,2,NULL}`, `{"a b","c\"d"}`, `{{1,2},{3,4}}`) → nested arrays of decoded values. */
export function parseArray(text: string, element: number): unknown {
  let i = 0;
  // An optional dimension prefix such as `[0:1]=` precedes arrays with non-default bounds.
  if (text.startsWith('[')) i = text.indexOf('=') + 1;
  const parseLevel = (): unknown[] => {
    const out: unknown[] = [];
    i++; // '{'
    if (text[i] === '}') {
      i++;
      return out;
    }
    for (;;) {
      if (text[i] === '{') out.push(parseLevel());
      else if (text[i] === '"') {
        let value = '';
        i++;
        while (text[i] !== '"') {
          if (text[i] === '\\') i++;
          value += text[i];
          i++;
        }
        i++;
        out.push(pgValue(element, value));
      } else {
        const end = text.slice(i).search(/[,}]/);
        const raw = text.slice(i, i + end);
        i += end;
        out.push(raw === 'NULL' ? null : pgValue(element, raw));
      }
      if (text[i] === ',') i++;
      else {
        i++; // '}'
        return out;
      }
    }
  };
  return parseLevel();
}
