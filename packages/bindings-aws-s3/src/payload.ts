/** Data shaping rules of contrib's S3 binding: the unquote quirk, base64, tags, the list JSON. */
import { InvalidArgumentError } from '@daprkit/component-sdk';

const decoder = new TextDecoder();

/**
 * contrib "unquotes" `create` data (daprd's HTTP API re-encodes JSON, so a string arrives with its quotes): a JSON
 * string becomes its content, a number or boolean its text; anything else (objects, arrays, invalid JSON) is
 * stored byte for byte.
 */
export function unquote(data: Uint8Array): Uint8Array {
  if (data.length === 0) return data;
  const text = decoder.decode(data);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return data;
  }
  if (typeof parsed === 'string') return Buffer.from(parsed, 'utf8');
  if (typeof parsed === 'number' || typeof parsed === 'boolean') return Buffer.from(text.trim(), 'utf8');
  return data;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Standard base64 (as Go's StdEncoding: padding required, no whitespace). */
export function decodeBase64(data: Uint8Array, what: string): Uint8Array {
  const text = decoder.decode(data);
  if (!BASE64.test(text) || text.length % 4 !== 0) {
    throw new InvalidArgumentError(`s3 binding error: ${what}: data is not valid base64`);
  }
  return Buffer.from(text, 'base64');
}

/** `k1=v1,k2=v2` (trimmed) → S3's URL-encoded tagging `k1=v1&k2=v2`. */
export function tagging(tags: string): string {
  const pairs = tags.split(',').map((pair) => {
    const at = pair.indexOf('=');
    const key = at < 0 ? '' : pair.slice(0, at).trim();
    if (at < 0 || key === '') {
      throw new InvalidArgumentError(`s3 binding error: invalid tag '${pair.trim()}': tags are key=value,key2=value2`);
    }
    return `${encodeURIComponent(key)}=${encodeURIComponent(pair.slice(at + 1).trim())}`;
  });
  return pairs.join('&');
}

export interface ListPayload {
  marker?: string;
  prefix?: string;
  maxResults?: number;
  delimiter?: string;
}

/** The optional `list` payload; empty data = no options. */
export function parseListPayload(data: Uint8Array): ListPayload {
  if (data.length === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(decoder.decode(data));
  } catch (error) {
    throw new InvalidArgumentError(
      `s3 binding (List Operation) - unable to parse Data property - ${(error as Error).message}`,
    );
  }
  if (parsed === null) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new InvalidArgumentError('s3 binding (List Operation) - unable to parse Data property - expected an object');
  }
  const p = parsed as Record<string, unknown>;
  const str = (k: string) => {
    const v = p[k];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') throw new InvalidArgumentError(`s3 binding (List Operation) - '${k}' must be a string`);
    return v;
  };
  const max = p.maxResults;
  if (max !== undefined && max !== null && (typeof max !== 'number' || !Number.isInteger(max))) {
    throw new InvalidArgumentError("s3 binding (List Operation) - 'maxResults' must be an integer");
  }
  return {
    marker: str('marker'),
    prefix: str('prefix'),
    delimiter: str('delimiter'),
    maxResults: typeof max === 'number' ? max : undefined,
  };
}

interface SdkObject {
  ChecksumAlgorithm?: string[];
  ChecksumType?: string;
  ETag?: string;
  Key?: string;
  LastModified?: Date;
  Owner?: { DisplayName?: string; ID?: string };
  RestoreStatus?: { IsRestoreInProgress?: boolean; RestoreExpiryDate?: Date };
  Size?: number;
  StorageClass?: string;
}

export interface SdkListOutput {
  CommonPrefixes?: { Prefix?: string }[];
  Contents?: SdkObject[];
  Delimiter?: string;
  EncodingType?: string;
  IsTruncated?: boolean;
  Marker?: string;
  MaxKeys?: number;
  Name?: string;
  NextMarker?: string;
  Prefix?: string;
  RequestCharged?: string;
}

const n = <T>(v: T | undefined): T | null => (v === undefined ? null : v);
const time = (d: Date | undefined) => (d === undefined ? null : d.toISOString().replace('.000Z', 'Z'));

/** The JSON contrib returns: the AWS Go SDK's ListObjectsOutput marshalled as is (PascalCase, nulls, RFC 3339). */
export function listOutputJson(out: SdkListOutput): string {
  return JSON.stringify({
    CommonPrefixes: out.CommonPrefixes?.map((p) => ({ Prefix: n(p.Prefix) })) ?? null,
    Contents:
      out.Contents?.map((o) => ({
        ChecksumAlgorithm: n(o.ChecksumAlgorithm),
        ChecksumType: o.ChecksumType ?? '',
        ETag: n(o.ETag),
        Key: n(o.Key),
        LastModified: time(o.LastModified),
        Owner: o.Owner === undefined ? null : { DisplayName: n(o.Owner.DisplayName), ID: n(o.Owner.ID) },
        RestoreStatus:
          o.RestoreStatus === undefined
            ? null
            : {
                IsRestoreInProgress: n(o.RestoreStatus.IsRestoreInProgress),
                RestoreExpiryDate: time(o.RestoreStatus.RestoreExpiryDate),
              },
        Size: n(o.Size),
        StorageClass: o.StorageClass ?? '',
      })) ?? null,
    Delimiter: n(out.Delimiter),
    EncodingType: out.EncodingType ?? '',
    IsTruncated: n(out.IsTruncated),
    Marker: n(out.Marker),
    MaxKeys: n(out.MaxKeys),
    Name: n(out.Name),
    NextMarker: n(out.NextMarker),
    Prefix: n(out.Prefix),
    RequestCharged: out.RequestCharged ?? '',
    ResultMetadata: {},
  });
}
