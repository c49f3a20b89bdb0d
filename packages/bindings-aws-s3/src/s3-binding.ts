import { randomUUID } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { Agent } from 'node:https';
import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  ListObjectsCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { awsClientConfig, awsErrorName, toAwsError } from '@daprkit/aws-common';
import {
  FailedPreconditionError,
  InvalidArgumentError,
  InvalidMetadataError,
  type InvokeRequest,
  type InvokeResponse,
  type Logger,
  type Metadata,
  mapLimit,
  NotFoundError,
  type OutputBinding,
  silentLogger,
  UnavailableError,
  UnimplementedError,
} from '@daprkit/component-sdk';
import { parseS3Settings, requestOptions, type S3RequestOptions, type S3Settings } from './metadata.js';
import { decodeBase64, listOutputJson, parseListPayload, tagging, unquote } from './payload.js';

/** contrib's eight operations (its metadata.yaml lacks `presign`). */
export const OPERATIONS = [
  'create',
  'get',
  'delete',
  'list',
  'presign',
  'bulkGet',
  'bulkCreate',
  'bulkDelete',
] as const;

const DEFAULT_MAX_RESULTS = 1000;
const DEFAULT_BULK_CONCURRENCY = 10;
const DELETE_BATCH = 1000;
const INIT_TIMEOUT_MS = 4500;

const encoder = new TextEncoder();
const json = (value: unknown): Uint8Array => encoder.encode(JSON.stringify(value));

export interface S3BindingOptions {
  logger?: Logger;
}

/** `bindings.aws.s3` (output) on @aws-sdk/client-s3, with contrib's operations, payloads and quirks. */
export class S3Binding implements OutputBinding {
  readonly #logger: Logger;
  #client: S3Client | undefined;
  #settings: S3Settings | undefined;
  #closed = false;

  constructor(options: S3BindingOptions = {}) {
    this.#logger = options.logger ?? silentLogger;
  }

  async init(properties: Metadata): Promise<void> {
    if (this.#closed) throw new FailedPreconditionError('component is closed');
    if (this.#client !== undefined) throw new FailedPreconditionError('component is already initialised');
    const settings = parseS3Settings(properties);
    const client = new S3Client({
      ...awsClientConfig(settings.aws),
      forcePathStyle: settings.forcePathStyle,
      ...(settings.insecureSSL && { requestHandler: { httpsAgent: new Agent({ rejectUnauthorized: false }) } }),
    });
    // contrib does no I/O at init; HeadBucket proves endpoint, credentials and bucket here, naming the field.
    try {
      await client.send(new HeadBucketCommand({ Bucket: settings.bucket }), {
        abortSignal: AbortSignal.timeout(INIT_TIMEOUT_MS),
      });
    } catch (error) {
      const name = awsErrorName(error);
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (name === 'NotFound' || name === 'NoSuchBucket' || status === 404) {
        client.destroy();
        throw new InvalidMetadataError('bucket', `bucket '${settings.bucket}' not found`, { cause: error });
      }
      if (status === 403) {
        this.#logger.warn('HeadBucket was refused; object operations may still be allowed', {
          bucket: settings.bucket,
        });
      } else {
        client.destroy();
        if (name === 'TimeoutError' || name === 'AbortError') {
          throw new UnavailableError(`s3: no answer within ${INIT_TIMEOUT_MS} ms`, { cause: error });
        }
        throw toAwsError(error, `s3 init (bucket '${settings.bucket}')`);
      }
    }
    this.#client = client;
    this.#settings = settings;
    this.#logger.info('connected to S3', { bucket: settings.bucket, region: settings.aws.region });
  }

  operations(): readonly string[] {
    return OPERATIONS;
  }

  async invoke(request: InvokeRequest): Promise<InvokeResponse> {
    const { client, settings } = this.#open();
    const options = requestOptions(request.metadata, settings.defaults);
    switch (request.operation) {
      case 'create':
        return this.#create(client, settings, request, options);
      case 'get':
        return this.#get(client, settings, request, options);
      case 'delete':
        return this.#delete(client, settings, request);
      case 'list':
        return this.#list(client, settings, request);
      case 'presign':
        return this.#presign(client, settings, request, options);
      case 'bulkGet':
        return this.#bulkGet(client, settings, request, options);
      case 'bulkCreate':
        return this.#bulkCreate(client, settings, request, options);
      case 'bulkDelete':
        return this.#bulkDelete(client, settings, request);
      default:
        throw new UnimplementedError(`s3 binding error: unsupported operation ${request.operation}`);
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    const client = this.#client;
    this.#client = undefined;
    client?.destroy();
  }

  async #create(client: S3Client, s: S3Settings, request: InvokeRequest, o: S3RequestOptions): Promise<InvokeResponse> {
    const key = request.metadata.key || randomUUID();
    let body: Uint8Array;
    if (o.filePath !== undefined) body = await readLocal(o.filePath);
    else body = unquote(request.data);
    if (o.decodeBase64) body = decodeBase64(body, 'create');
    const contentType = request.metadata['Content-Type'];
    const tags = request.metadata.tags;
    const location = await this.#upload(client, s, key, body, {
      contentType,
      storageClass: o.storageClass,
      tagging: tags === undefined || tags === '' ? undefined : tagging(tags),
    });
    const result: Record<string, unknown> = { location: location.location, versionID: location.versionId ?? null };
    if (o.presignTTL !== undefined) result.presignURL = await this.#sign(client, s, key, o.presignTTL);
    return { data: json(result), metadata: { key }, contentType: 'application/json' };
  }

  async #upload(
    client: S3Client,
    s: S3Settings,
    key: string,
    body: Uint8Array,
    extra: { contentType?: string | undefined; storageClass?: string | undefined; tagging?: string | undefined },
  ): Promise<{ location: string; versionId: string | undefined }> {
    try {
      const out = await client.send(
        new PutObjectCommand({
          Bucket: s.bucket,
          Key: key,
          Body: body,
          ...(extra.contentType !== undefined && extra.contentType !== '' && { ContentType: extra.contentType }),
          ...(extra.storageClass !== undefined && { StorageClass: extra.storageClass as never }),
          ...(extra.tagging !== undefined && { Tagging: extra.tagging }),
        }),
      );
      return { location: this.#location(s, key), versionId: out.VersionId };
    } catch (error) {
      throw toAwsError(error, `s3 binding error: uploading '${key}'`);
    }
  }

  /** contrib's fallback location: `<endpoint>/<bucket>/<key>`, else the public path- or virtual-hosted URL. */
  #location(s: S3Settings, key: string): string {
    const escaped = key.split('/').map(encodeURIComponent).join('/');
    if (s.aws.endpoint !== undefined) return `${s.aws.endpoint}/${s.bucket}/${escaped}`;
    return s.forcePathStyle
      ? `https://s3.amazonaws.com/${s.bucket}/${escaped}`
      : `https://${s.bucket}.s3.amazonaws.com/${escaped}`;
  }

  async #read(client: S3Client, s: S3Settings, key: string): Promise<Uint8Array> {
    try {
      const out = await client.send(new GetObjectCommand({ Bucket: s.bucket, Key: key }));
      return (await out.Body?.transformToByteArray()) ?? new Uint8Array(0);
    } catch (error) {
      if (awsErrorName(error) === 'NoSuchKey') throw new NotFoundError('object not found', { cause: error });
      throw toAwsError(error, `s3 binding error: error downloading S3 object '${key}'`);
    }
  }

  async #get(client: S3Client, s: S3Settings, request: InvokeRequest, o: S3RequestOptions): Promise<InvokeResponse> {
    const key = requiredKey(request.metadata);
    const bytes = await this.#read(client, s, key);
    if (o.filePath !== undefined) {
      await writeLocal(o.filePath, bytes);
      return {};
    }
    return { data: o.encodeBase64 ? encoder.encode(Buffer.from(bytes).toString('base64')) : bytes };
  }

  async #delete(client: S3Client, s: S3Settings, request: InvokeRequest): Promise<InvokeResponse> {
    const key = requiredKey(request.metadata);
    try {
      await client.send(new DeleteObjectCommand({ Bucket: s.bucket, Key: key }));
    } catch (error) {
      if (awsErrorName(error) === 'NoSuchKey') throw new NotFoundError('object not found', { cause: error });
      throw toAwsError(error, 's3 binding error: delete operation failed');
    }
    return {};
  }

  async #list(client: S3Client, s: S3Settings, request: InvokeRequest): Promise<InvokeResponse> {
    const p = parseListPayload(request.data);
    const maxKeys = p.maxResults === undefined || p.maxResults < 1 ? DEFAULT_MAX_RESULTS : p.maxResults;
    try {
      const out = await client.send(
        new ListObjectsCommand({
          Bucket: s.bucket,
          MaxKeys: maxKeys,
          ...(p.marker !== undefined && { Marker: p.marker }),
          ...(p.prefix !== undefined && { Prefix: p.prefix }),
          ...(p.delimiter !== undefined && { Delimiter: p.delimiter }),
        }),
      );
      return { data: encoder.encode(listOutputJson(out)), contentType: 'application/json' };
    } catch (error) {
      throw toAwsError(error, 's3 binding error: list operation failed');
    }
  }

  async #presign(
    client: S3Client,
    s: S3Settings,
    request: InvokeRequest,
    o: S3RequestOptions,
  ): Promise<InvokeResponse> {
    const key = requiredKey(request.metadata);
    if (request.metadata.presignTTL === undefined || request.metadata.presignTTL === '') {
      throw new InvalidArgumentError("s3 binding error: required metadata 'presignTTL' missing");
    }
    return {
      data: json({ presignURL: await this.#sign(client, s, key, o.presignTTL!) }),
      contentType: 'application/json',
    };
  }

  #sign(client: S3Client, s: S3Settings, key: string, seconds: number): Promise<string> {
    return getSignedUrl(client, new GetObjectCommand({ Bucket: s.bucket, Key: key }), { expiresIn: seconds });
  }

  async #bulkGet(
    client: S3Client,
    s: S3Settings,
    request: InvokeRequest,
    o: S3RequestOptions,
  ): Promise<InvokeResponse> {
    const payload = bulkPayload(request.data, 'bulkGet', 'items');
    const items = payload.items as { key?: unknown; filePath?: unknown }[];
    const results = await mapLimit(items, payload.concurrency, async (item) => {
      const key = typeof item?.key === 'string' ? item.key : '';
      if (key === '') return { key, error: 'key is required' };
      try {
        const bytes = await this.#read(client, s, key);
        if (typeof item.filePath === 'string' && item.filePath !== '') {
          await writeLocal(item.filePath, bytes);
          return { key };
        }
        return { key, data: o.encodeBase64 ? Buffer.from(bytes).toString('base64') : Buffer.from(bytes).toString() };
      } catch (error) {
        return { key, error: (error as Error).message };
      }
    });
    return { data: json(results), contentType: 'application/json' };
  }

  async #bulkCreate(
    client: S3Client,
    s: S3Settings,
    request: InvokeRequest,
    o: S3RequestOptions,
  ): Promise<InvokeResponse> {
    const payload = bulkPayload(request.data, 'bulkCreate', 'items');
    const items = payload.items as { key?: unknown; data?: unknown; contentType?: unknown; filePath?: unknown }[];
    const results = await mapLimit(items, payload.concurrency, async (item) => {
      const key = typeof item?.key === 'string' && item.key !== '' ? item.key : randomUUID();
      try {
        let body: Uint8Array =
          typeof item.filePath === 'string' && item.filePath !== ''
            ? await readLocal(item.filePath)
            : encoder.encode(
                typeof item.data === 'string' ? item.data : item.data === undefined ? '' : JSON.stringify(item.data),
              );
        if (o.decodeBase64) body = decodeBase64(body, `bulkCreate item '${key}'`);
        const { location } = await this.#upload(client, s, key, body, {
          contentType: typeof item.contentType === 'string' ? item.contentType : undefined,
          storageClass: o.storageClass,
        });
        return { key, location };
      } catch (error) {
        return { key, error: (error as Error).message };
      }
    });
    return { data: json(results), contentType: 'application/json' };
  }

  async #bulkDelete(client: S3Client, s: S3Settings, request: InvokeRequest): Promise<InvokeResponse> {
    const payload = bulkPayload(request.data, 'bulkDelete', 'keys');
    const keys = payload.keys as unknown[];
    const errors = new Map<string, string>();
    const distinct = [...new Set(keys.filter((k): k is string => typeof k === 'string' && k.trim() !== ''))];
    for (let i = 0; i < distinct.length; i += DELETE_BATCH) {
      const batch = distinct.slice(i, i + DELETE_BATCH);
      try {
        const out = await client.send(
          new DeleteObjectsCommand({
            Bucket: s.bucket,
            Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
          }),
        );
        for (const e of out.Errors ?? []) if (e.Key !== undefined) errors.set(e.Key, e.Message ?? e.Code ?? 'failed');
      } catch (error) {
        const text = toAwsError(error, 's3 binding error: bulkDelete').message;
        for (const key of batch) errors.set(key, text);
      }
    }
    const results = keys.map((k) => {
      const key = typeof k === 'string' ? k : '';
      if (key.trim() === '') return { key, error: 'key is required' };
      const error = errors.get(key);
      return error === undefined ? { key } : { key, error };
    });
    return { data: json(results), contentType: 'application/json' };
  }

  #open(): { client: S3Client; settings: S3Settings } {
    if (this.#client !== undefined && this.#settings !== undefined) {
      return { client: this.#client, settings: this.#settings };
    }
    throw new FailedPreconditionError(this.#closed ? 'component is closed' : 'component is not initialised');
  }
}

function requiredKey(metadata: Metadata): string {
  const key = metadata.key;
  if (key === undefined || key === '')
    throw new InvalidArgumentError("s3 binding error: required metadata 'key' missing");
  return key;
}

function bulkPayload(
  data: Uint8Array,
  op: string,
  list: 'items' | 'keys',
): Record<string, unknown> & {
  concurrency: number;
} {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(data).toString());
  } catch (error) {
    throw new InvalidArgumentError(`s3 binding error: ${op}: invalid JSON payload: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new InvalidArgumentError(`s3 binding error: ${op}: the payload must be an object with '${list}'`);
  }
  const p = parsed as Record<string, unknown>;
  if (!Array.isArray(p[list]) || (p[list] as unknown[]).length === 0) {
    throw new InvalidArgumentError(`s3 binding error: ${op}: '${list}' must be a non-empty array`);
  }
  const concurrency = p.concurrency ?? DEFAULT_BULK_CONCURRENCY;
  if (typeof concurrency !== 'number' || !Number.isInteger(concurrency) || concurrency <= 0) {
    throw new InvalidArgumentError(`s3 binding error: ${op}: 'concurrency' must be a positive integer`);
  }
  return { ...p, concurrency };
}

async function readLocal(path: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (error) {
    throw new InvalidArgumentError(`s3 binding error: cannot read file '${path}': ${(error as Error).message}`);
  }
}

async function writeLocal(path: string, bytes: Uint8Array): Promise<void> {
  try {
    await writeFile(path, bytes);
  } catch (error) {
    throw new InvalidArgumentError(`s3 binding error: cannot write file '${path}': ${(error as Error).message}`);
  }
}

export function createS3Binding(options: S3BindingOptions = {}): S3Binding {
  return new S3Binding(options);
}
