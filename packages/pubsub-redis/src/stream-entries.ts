/**
 * The stream layout, shared with contrib's `pubsub.redis` so Go and daprkit sidecars can use the same
 * streams: one entry per message with the field `data` (payload bytes) and, when the publish carried
 * metadata, `metadata` (a JSON object of strings).
 */
import type { Logger, Metadata, PubSubMessage } from '@daprkit/component-sdk';
import type { StreamTrim } from './metadata.js';

const DATA = 'data';
const METADATA = 'metadata';

/** One stream entry as read with the Buffer API; `fields` is null when the entry was deleted (trimmed). */
export interface StreamEntry {
  id: string;
  fields: Buffer[] | null;
}

/** `XADD` arguments after the command name: `<topic> [MAXLEN ~ n | MINID ~ id] * data <bytes> [metadata <json>]`. */
export function xaddArguments(
  topic: string,
  data: Uint8Array,
  metadata: Metadata,
  trim: StreamTrim | undefined,
  now = Date.now(),
): (string | Buffer | number)[] {
  const args: (string | Buffer | number)[] = [topic];
  if (trim?.kind === 'maxlen') args.push('MAXLEN', '~', trim.count);
  else if (trim?.kind === 'minid') args.push('MINID', '~', `${now - trim.ttlMs}-1`);
  args.push('*', DATA, asBuffer(data));
  if (Object.keys(metadata).length > 0) args.push(METADATA, JSON.stringify(metadata));
  return args;
}

/** Zero-copy view: ioredis writes Buffers as bytes but would stringify a plain Uint8Array. */
function asBuffer(value: Uint8Array): Buffer {
  return Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

/**
 * Entries of an `XREADGROUP` reply for one stream, or none on a timeout (null). RESP2 answers
 * `[[key, entries]]`; over RESP3 the reply is a map, which ioredis flattens to `[key, entries]`.
 */
export function entriesOfRead(reply: unknown): StreamEntry[] {
  if (!Array.isArray(reply) || reply.length === 0) return [];
  const stream = Array.isArray(reply[0]) ? reply[0] : reply;
  return entriesOf((stream as [unknown, unknown])[1]);
}

/** Entries of an `XAUTOCLAIM` reply (`[cursor, entries, deletedIds]`; deletedIds since Redis 7). */
export function parseAutoClaim(reply: unknown): { cursor: string; entries: StreamEntry[]; deleted: string[] } {
  const [cursor, entries, deleted] = reply as [Buffer, unknown, Buffer[] | undefined];
  return { cursor: cursor.toString(), entries: entriesOf(entries), deleted: (deleted ?? []).map(String) };
}

function entriesOf(list: unknown): StreamEntry[] {
  if (!Array.isArray(list)) return [];
  return list.map(([id, fields]: [Buffer, Buffer[] | null]) => ({ id: id.toString(), fields }));
}

/**
 * The message handed to subscribers. A `metadata` field that is not a JSON object is logged and ignored,
 * as contrib does: the payload is still delivered.
 */
export function toMessage(entry: StreamEntry, topic: string, logger: Logger): PubSubMessage {
  let data: Buffer | undefined;
  let metadata: Metadata = {};
  const fields = entry.fields ?? [];
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const name = fields[i]!.toString();
    if (name === DATA) data = fields[i + 1];
    else if (name === METADATA) metadata = parseMetadataField(fields[i + 1]!, entry.id, topic, logger);
  }
  return { data: data ?? Buffer.alloc(0), topic, metadata };
}

function parseMetadataField(raw: Buffer, id: string, topic: string, logger: Logger): Metadata {
  try {
    const parsed: unknown = JSON.parse(raw.toString());
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not a JSON object');
    return Object.fromEntries(
      Object.entries(parsed).map(([key, value]) => [key, typeof value === 'string' ? value : JSON.stringify(value)]),
    );
  } catch (err) {
    logger.warn('pubsub.redis: ignoring undecodable message metadata', {
      topic,
      id,
      error: err instanceof Error ? err.message : String(err),
    });
    return {};
  }
}
