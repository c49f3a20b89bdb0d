/**
 * HPACK (RFC 7541) for the HTTP/2 engine: a decoder with Huffman and the dynamic table, and a literal-only
 * encoder (never indexes, so the peer's table stays empty and no encoder state is needed).
 * Every malformed input throws `HpackError`; the connection turns it into COMPRESSION_ERROR.
 */
import { HUFFMAN_CODES, HUFFMAN_LENGTHS } from './huffman-table.js';

export class HpackError extends Error {}

const STATIC: readonly (readonly [string, string])[] = [
  ['', ''],
  [':authority', ''],
  [':method', 'GET'],
  [':method', 'POST'],
  [':path', '/'],
  [':path', '/index.html'],
  [':scheme', 'http'],
  [':scheme', 'https'],
  [':status', '200'],
  [':status', '204'],
  [':status', '206'],
  [':status', '304'],
  [':status', '400'],
  [':status', '404'],
  [':status', '500'],
  ['accept-charset', ''],
  ['accept-encoding', 'gzip, deflate'],
  ['accept-language', ''],
  ['accept-ranges', ''],
  ['accept', ''],
  ['access-control-allow-origin', ''],
  ['age', ''],
  ['allow', ''],
  ['authorization', ''],
  ['cache-control', ''],
  ['content-disposition', ''],
  ['content-encoding', ''],
  ['content-language', ''],
  ['content-length', ''],
  ['content-location', ''],
  ['content-range', ''],
  ['content-type', ''],
  ['cookie', ''],
  ['date', ''],
  ['etag', ''],
  ['expect', ''],
  ['expires', ''],
  ['from', ''],
  ['host', ''],
  ['if-match', ''],
  ['if-modified-since', ''],
  ['if-none-match', ''],
  ['if-range', ''],
  ['if-unmodified-since', ''],
  ['last-modified', ''],
  ['link', ''],
  ['location', ''],
  ['max-forwards', ''],
  ['proxy-authenticate', ''],
  ['proxy-authorization', ''],
  ['range', ''],
  ['referer', ''],
  ['refresh', ''],
  ['retry-after', ''],
  ['server', ''],
  ['set-cookie', ''],
  ['strict-transport-security', ''],
  ['transfer-encoding', ''],
  ['user-agent', ''],
  ['vary', ''],
  ['via', ''],
  ['www-authenticate', ''],
];
const STATIC_COUNT = STATIC.length - 1; // 61

// ---------- Huffman ----------

/**
 * Decoding trie over bits: node i has children at TRIE[2i] (bit 0) and TRIE[2i+1] (bit 1). A child value ≥ 0 is
 * another node, −1 − sym a leaf (sym 256 = EOS), and 0 on a non-root child index means "no such code".
 */
const TRIE = (() => {
  const children: number[] = [0, 0];
  let nodes = 1;
  const add = (code: number, length: number, symbol: number) => {
    let node = 0;
    for (let bit = length - 1; bit >= 0; bit--) {
      const slot = 2 * node + ((code >>> bit) & 1);
      if (bit === 0) {
        children[slot] = -1 - symbol;
      } else {
        if (children[slot] === 0) {
          children[slot] = nodes++;
          children.push(0, 0);
        }
        node = children[slot]!;
      }
    }
  };
  for (let s = 0; s < 256; s++) add(HUFFMAN_CODES[s]!, HUFFMAN_LENGTHS[s]!, s);
  add(0x3fffffff, 30, 256);
  return Int32Array.from(children);
})();

const latin1 = (bytes: Uint8Array, start: number, end: number): string =>
  (Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)).toString(
    'latin1',
    start,
    end,
  );

let huffmanScratch = Buffer.allocUnsafe(256);

export function huffmanDecode(src: Uint8Array, start: number, end: number): string {
  // Each symbol takes at least 5 bits: at most 8/5 output bytes per input byte.
  const bound = Math.ceil(((end - start) * 8) / 5);
  if (huffmanScratch.length < bound) huffmanScratch = Buffer.allocUnsafe(bound * 2);
  const out = huffmanScratch;
  let n = 0;
  let node = 0;
  let depth = 0; // bits consumed since the last symbol
  let allOnes = true;
  for (let i = start; i < end; i++) {
    const byte = src[i]!;
    for (let bit = 7; bit >= 0; bit--) {
      const b = (byte >>> bit) & 1;
      const next = TRIE[2 * node + b]!;
      depth++;
      if (b === 0) allOnes = false;
      if (next < 0) {
        const symbol = -1 - next;
        if (symbol === 256) throw new HpackError('Huffman string contains EOS');
        out[n++] = symbol;
        node = 0;
        depth = 0;
        allOnes = true;
      } else if (next === 0) {
        throw new HpackError('invalid Huffman code');
      } else {
        node = next;
      }
    }
  }
  if (depth > 7) throw new HpackError('Huffman padding longer than 7 bits');
  if (depth > 0 && !allOnes) throw new HpackError('Huffman padding is not the EOS prefix');
  return out.toString('latin1', 0, n);
}

export function huffmanEncodedLength(value: string): number {
  let bits = 0;
  for (let i = 0; i < value.length; i++) bits += HUFFMAN_LENGTHS[value.charCodeAt(i) & 0xff]!;
  return Math.ceil(bits / 8);
}

// ---------- decoder ----------

export interface DecoderLimits {
  /** Largest dynamic table the peer may use (our SETTINGS_HEADER_TABLE_SIZE). */
  maxTableSize: number;
  /** Largest decoded header list (RFC 7540 §6.5.2 accounting: name + value + 32 per field). */
  maxHeaderListSize: number;
}

/**
 * Decodes header blocks into a flat `[name, value, name, value, ...]` array. Names are not validated here (the
 * HTTP layer checks them); sizes, indexes, integers and strings are.
 */
export class HpackDecoder {
  private entries: string[] = []; // [name, value] pairs, newest first (index 0 = dynamic index 62)
  private size = 0;
  private maxSize: number;

  constructor(private readonly limits: DecoderLimits) {
    this.maxSize = limits.maxTableSize;
  }

  decode(block: Uint8Array): string[] {
    const out: string[] = [];
    const end = block.length;
    let pos = 0;
    let listSize = 0;
    let sawField = false;
    const readInt = (prefixBits: number): number => {
      const mask = (1 << prefixBits) - 1;
      let value = block[pos++]! & mask;
      if (value < mask) return value;
      let shift = 0;
      for (;;) {
        if (pos >= end) throw new HpackError('truncated integer');
        const b = block[pos++]!;
        value += (b & 0x7f) * 2 ** shift;
        shift += 7;
        if (value > 0x7fffffff) throw new HpackError('integer overflow');
        if ((b & 0x80) === 0) return value;
      }
    };
    const readString = (): string => {
      if (pos >= end) throw new HpackError('truncated string');
      const huffman = (block[pos]! & 0x80) !== 0;
      const length = readInt(7);
      if (pos + length > end) throw new HpackError('string longer than the header block');
      const start = pos;
      pos += length;
      return huffman ? huffmanDecode(block, start, pos) : latin1(block, start, pos);
    };
    const push = (name: string, value: string) => {
      listSize += name.length + value.length + 32;
      if (listSize > this.limits.maxHeaderListSize) throw new HeaderListTooLarge();
      out.push(name, value);
    };
    while (pos < end) {
      const b = block[pos]!;
      if (b & 0x80) {
        // indexed field
        const index = readInt(7);
        if (index === 0) throw new HpackError('index 0');
        sawField = true;
        if (index <= STATIC_COUNT) {
          const entry = STATIC[index]!;
          push(entry[0], entry[1]);
        } else {
          const d = (index - STATIC_COUNT - 1) * 2;
          if (d >= this.entries.length) throw new HpackError(`index ${index} beyond the dynamic table`);
          push(this.entries[d]!, this.entries[d + 1]!);
        }
      } else if ((b & 0xe0) === 0x20) {
        // dynamic table size update: only before the first field of a block
        if (sawField) throw new HpackError('table size update after a header field');
        const size = readInt(5);
        if (size > this.limits.maxTableSize) throw new HpackError(`table size ${size} above the limit`);
        this.maxSize = size;
        this.evict(0);
      } else {
        // literal: with incremental indexing (01), without (0000) or never indexed (0001)
        const incremental = (b & 0xc0) === 0x40;
        const index = readInt(incremental ? 6 : 4);
        const name = index === 0 ? readString() : this.nameAt(index);
        const value = readString();
        sawField = true;
        if (incremental) this.insert(name, value);
        push(name, value);
      }
    }
    return out;
  }

  private nameAt(index: number): string {
    if (index <= STATIC_COUNT) return STATIC[index]![0];
    const d = (index - STATIC_COUNT - 1) * 2;
    if (d >= this.entries.length) throw new HpackError(`index ${index} beyond the dynamic table`);
    return this.entries[d]!;
  }

  private insert(name: string, value: string): void {
    const entrySize = name.length + value.length + 32;
    if (entrySize > this.maxSize) {
      this.entries.length = 0;
      this.size = 0;
      return;
    }
    this.evict(entrySize);
    this.entries.unshift(name, value);
    this.size += entrySize;
  }

  private evict(room: number): void {
    while (this.size + room > this.maxSize && this.entries.length > 0) {
      const value = this.entries.pop()!;
      const name = this.entries.pop()!;
      this.size -= name.length + value.length + 32;
    }
  }
}

/** The decoded list exceeds the limit: the block was still consumed, so the connection's table stays in sync. */
export class HeaderListTooLarge extends HpackError {
  constructor() {
    super('header list too large');
  }
}

// ---------- encoder (literal without indexing, no Huffman) ----------

function intBytes(value: number, prefixBits: number, firstByteFlags: number, out: number[]): void {
  const mask = (1 << prefixBits) - 1;
  if (value < mask) {
    out.push(firstByteFlags | value);
    return;
  }
  out.push(firstByteFlags | mask);
  value -= mask;
  while (value >= 128) {
    out.push((value & 0x7f) | 0x80);
    value = Math.floor(value / 128);
  }
  out.push(value);
}

const STATIC_NAME_INDEX = new Map<string, number>();
for (let i = STATIC_COUNT; i >= 1; i--) STATIC_NAME_INDEX.set(STATIC[i]![0], i);

/** One header field as a literal without indexing (static name index where one exists). Value bytes as given. */
export function encodeLiteral(name: string, value: string | Uint8Array): Buffer {
  const head: number[] = [];
  const nameIndex = STATIC_NAME_INDEX.get(name);
  const valueBytes = typeof value === 'string' ? Buffer.from(value, 'latin1') : value;
  if (nameIndex !== undefined) {
    intBytes(nameIndex, 4, 0x00, head);
    intBytes(valueBytes.length, 7, 0x00, head);
    return Buffer.concat([Buffer.from(head), valueBytes]);
  }
  head.push(0x00);
  const nameBytes = Buffer.from(name, 'latin1');
  intBytes(nameBytes.length, 7, 0x00, head);
  const mid: number[] = [];
  intBytes(valueBytes.length, 7, 0x00, mid);
  return Buffer.concat([Buffer.from(head), nameBytes, Buffer.from(mid), valueBytes]);
}

/** `:status` as one byte when the static table has it. */
export function encodeStatus(status: number): Buffer {
  const index = STATIC.findIndex((e, i) => i > 0 && e[0] === ':status' && e[1] === String(status));
  return index > 0 ? Buffer.from([0x80 | index]) : encodeLiteral(':status', String(status));
}
