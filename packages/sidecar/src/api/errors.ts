/**
 * Dapr API errors, shaped as daprd answers them (spec §0.1): a legacy `{errorCode, message}` body, optionally with
 * rich `details` (google.rpc ErrorInfo/ResourceInfo/BadRequest/Help). One error value serves HTTP and gRPC.
 */
import { ErrorCode } from '@daprkit/component-sdk';

export type ErrorDetail = Record<string, unknown> & { '@type': string };

export class ApiError extends Error {
  constructor(
    readonly httpStatus: number,
    readonly errorCode: string,
    message: string,
    readonly grpcCode: ErrorCode,
    readonly details: ErrorDetail[] = [],
  ) {
    super(message);
    this.name = 'ApiError';
  }

  toJSON(): Record<string, unknown> {
    return this.details.length > 0
      ? { errorCode: this.errorCode, message: this.message, details: this.details }
      : { errorCode: this.errorCode, message: this.message };
  }
}

export const errorInfo = (reason: string, metadata: Record<string, string> = {}): ErrorDetail => ({
  '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
  reason,
  domain: 'dapr.io',
  metadata,
});

export const resourceInfo = (resourceType: string, resourceName: string, description: string): ErrorDetail => ({
  '@type': 'type.googleapis.com/google.rpc.ResourceInfo',
  resource_type: resourceType,
  resource_name: resourceName,
  owner: '',
  description,
});

export const badRequest = (field: string, description: string): ErrorDetail => ({
  '@type': 'type.googleapis.com/google.rpc.BadRequest',
  field_violations: [{ field, description }],
});

export const helpLink = (url: string, description: string): ErrorDetail => ({
  '@type': 'type.googleapis.com/google.rpc.Help',
  links: [{ description, url }],
});

/** The text of any thrown value, for embedding in an API error message. */
export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function malformedRequest(message: string): ApiError {
  return new ApiError(400, 'ERR_MALFORMED_REQUEST', message, ErrorCode.InvalidArgument);
}

/** Anything that is not already an ApiError: daprd's generic fallback. */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  return new ApiError(500, 'ERROR', errorText(error), ErrorCode.Internal);
}
