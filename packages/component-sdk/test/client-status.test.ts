// The client reads statuses exactly like daprd (§4): only precise shapes are recognised, the rest stays raw.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  BulkDeleteRowMismatchError,
  DaprkitError,
  ETagInvalidError,
  ETagMismatchError,
  FailedPreconditionError,
  InvalidArgumentError,
  KitError,
  NotFoundError,
  UnavailableError,
  UnimplementedError,
} from '@daprkit/component-sdk';
import { decodeStatusError } from '@daprkit/component-sdk/client';
import { Metadata, type ServiceError } from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';

const PROTO_ROOT = fileURLToPath(new URL('../proto/', import.meta.url));
const root = new protobuf.Root();
root.resolvePath = (_origin, target) => (path.isAbsolute(target) ? target : path.join(PROTO_ROOT, target));
root.loadSync(['google/rpc/status.proto', 'google/rpc/error_details.proto'], { keepCase: true });
const Status = root.lookupType('google.rpc.Status');
const BadRequest = root.lookupType('google.rpc.BadRequest');
const FieldViolation = root.lookupType('google.rpc.BadRequest.FieldViolation');
const ErrorInfo = root.lookupType('google.rpc.ErrorInfo');

const any = (type: protobuf.Type, value: object) => ({
  type_url: `type.googleapis.com/${type.fullName.slice(1)}`,
  value: type.encode(type.fromObject(value)).finish(),
});
const etag = (...fields: string[]) =>
  any(BadRequest, { field_violations: fields.map((field) => ({ field, description: `bad ${field}` })) });
const info = (metadata: Record<string, string>) => any(ErrorInfo, { reason: 'R', domain: 'd.io', metadata });

/** A grpc-js client error as it arrives, with an optional details trailer. */
function statusError(
  code: number,
  message: string,
  details?: { code?: number; message?: string; details: object[] } | Buffer,
): ServiceError {
  const metadata = new Metadata();
  if (Buffer.isBuffer(details)) metadata.set('grpc-status-details-bin', details);
  else if (details) {
    const status = Status.fromObject({
      code: details.code ?? code,
      message: details.message ?? message,
      details: details.details,
    });
    metadata.set('grpc-status-details-bin', Buffer.from(Status.encode(status).finish()));
  }
  return Object.assign(new Error(`${code} X: ${message}`), { code, details: message, metadata });
}

const write = { kit: true, etag: true };
const bulkDelete = { kit: true, etag: true, bulkDeleteRows: true };

describe('decodeStatusError', () => {
  it('recognises the exact ETag shape on write RPCs only', () => {
    const mismatch = decodeStatusError(statusError(9, 'm', { details: [etag('etag')] }), write);
    expect(mismatch).toBeInstanceOf(ETagMismatchError);
    expect(mismatch.message).toBe('bad etag');
    expect(decodeStatusError(statusError(3, 'i', { details: [etag('etag')] }), write)).toBeInstanceOf(ETagInvalidError);
    // Not a write RPC (Get/Transact): raw.
    expect(decodeStatusError(statusError(9, 'm', { details: [etag('etag')] }), { kit: true })).toBeInstanceOf(
      FailedPreconditionError,
    );
  });

  it('leaves every deviation from the ETag shape raw, as daprd does', () => {
    const deviations = [
      [etag('etag', 'etag')], // two violations
      [etag('etag'), etag('etag')], // two details
      [etag('ETag')], // not the exact field name
      [any(FieldViolation, { field: 'etag', description: 'x' })], // bare violation without BadRequest (the Java SDK's shape)
    ];
    for (const details of deviations) {
      const error = decodeStatusError(statusError(9, 'raw text', { details }), write);
      expect(error).toBeInstanceOf(FailedPreconditionError);
      expect(error).not.toBeInstanceOf(ETagMismatchError);
      expect(error.message).toBe('raw text');
    }
    // The right shape with another code is not an ETag error either.
    expect(decodeStatusError(statusError(13, 'x', { details: [etag('etag')] }), write)).not.toBeInstanceOf(
      ETagMismatchError,
    );
  });

  it('recognises kit errors (exactly one ErrorInfo, kit_error true, integer http_code) before anything else', () => {
    const kit = decodeStatusError(
      statusError(9, 'quota', { details: [info({ kit_error: 'true', http_code: '429', tag: 'T' })] }),
      write,
    );
    expect(kit).toBeInstanceOf(KitError);
    expect(kit).toMatchObject({ code: 9, message: 'quota', httpCode: 429, reason: 'R', domain: 'd.io', tag: 'T' });
    const notKit: Record<string, string>[] = [
      { kit_error: 'true', http_code: 'abc' },
      { kit_error: 'yes', http_code: '400' },
      { http_code: '400' },
    ];
    for (const metadata of notKit) {
      expect(decodeStatusError(statusError(2, 'x', { details: [info(metadata)] }), write)).not.toBeInstanceOf(KitError);
    }
    const two = [info({ kit_error: 'true', http_code: '400' }), info({})];
    expect(decodeStatusError(statusError(2, 'x', { details: two }), write)).not.toBeInstanceOf(KitError);
    // Pub/sub, bindings, secrets: no kit handling in daprd.
    expect(
      decodeStatusError(statusError(9, 'q', { details: [info({ kit_error: 'true', http_code: '429' })] }), {}),
    ).not.toBeInstanceOf(KitError);
  });

  it('recognises the bulk-delete row mismatch only on BulkDelete with integer counts', () => {
    const rows = decodeStatusError(
      statusError(13, 'x', { details: [info({ expected: '4', affected: '2' })] }),
      bulkDelete,
    );
    expect(rows).toBeInstanceOf(BulkDeleteRowMismatchError);
    expect(rows).toMatchObject({ expected: 4, affected: 2 });
    expect(
      decodeStatusError(statusError(13, 'x', { details: [info({ expected: '4', affected: '2' })] }), write),
    ).not.toBeInstanceOf(BulkDeleteRowMismatchError);
    expect(
      decodeStatusError(statusError(13, 'x', { details: [info({ expected: 'four', affected: '2' })] }), bulkDelete),
    ).not.toBeInstanceOf(BulkDeleteRowMismatchError);
  });

  it('follows grpc-go on the trailer: its message wins, a code mismatch is INTERNAL, garbage is ignored', () => {
    expect(
      decodeStatusError(statusError(9, 'header text', { message: 'trailer text', details: [] }), write).message,
    ).toBe('trailer text');
    const mismatch = decodeStatusError(statusError(9, 'x', { code: 3, details: [etag('etag')] }), write);
    expect(mismatch.code).toBe(13);
    expect(mismatch.message).toMatch(/grpc-status-details-bin mismatch/);
    const garbage = decodeStatusError(statusError(5, 'not here', Buffer.from([0x0a, 0xff])), write);
    expect(garbage).toBeInstanceOf(NotFoundError);
    expect(garbage.message).toBe('not here');
  });

  it('maps raw codes to the typed error classes', () => {
    const cases: [number, unknown][] = [
      [5, NotFoundError],
      [12, UnimplementedError],
      [14, UnavailableError],
      [9, FailedPreconditionError],
      [3, InvalidArgumentError],
    ];
    for (const [code, type] of cases) expect(decodeStatusError(statusError(code, 'm'), {})).toBeInstanceOf(type);
    const other = decodeStatusError(statusError(10, 'aborted'), {});
    expect(other).toBeInstanceOf(DaprkitError);
    expect([other.code, other.message]).toEqual([10, 'aborted']);
  });
});
