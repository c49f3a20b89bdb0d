/** Request/response helpers shared by the HTTP handlers: bounded body reads, JSON decoding with clear messages, replies. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Metadata } from '@daprkit/component-sdk';
import { type ApiError, malformedRequest } from '../shared/errors.js';
import { field, isObject } from '../shared/json-fields.js';

export const MAX_BODY_BYTES = 4 << 20;

export async function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit)
      throw malformedRequest(`failed deserializing HTTP body: request body exceeds ${limit} bytes (--max-body-size)`);
    chunks.push(chunk);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}

export function describeJsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a JSON array';
  if (typeof value === 'string') return 'a JSON string';
  return typeof value === 'object' ? 'a JSON object' : `a JSON ${typeof value}`;
}

/** Parses a JSON body; `expected` describes the wanted shape for the error message. */
export function parseJson(body: Buffer, expected: string): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw malformedRequest(`failed deserializing HTTP body: expected ${expected}: ${(error as Error).message}`);
  }
}

export function stringField(object: Record<string, unknown>, name: string, where: string): string | undefined {
  const value = field(object, name);
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string')
    throw malformedRequest(
      `failed deserializing HTTP body: ${where}.${name} must be a string, got ${describeJsonType(value)}`,
    );
  return value;
}

/** A `{string: string}` map; non-string values are rejected (Go would refuse to decode them). */
export function metadataField(object: Record<string, unknown>, name: string, where: string): Metadata {
  const value = field(object, name);
  if (value === undefined || value === null) return {};
  if (!isObject(value))
    throw malformedRequest(
      `failed deserializing HTTP body: ${where}.${name} must be an object of strings, got ${describeJsonType(value)}`,
    );
  const out: Metadata = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string')
      throw malformedRequest(
        `failed deserializing HTTP body: ${where}.${name}.${k} must be a string, got ${describeJsonType(v)}`,
      );
    out[k] = v;
  }
  return out;
}

/** `metadata.*` query parameters (exact, case-sensitive prefix; first value wins). */
export function queryMetadata(query: URLSearchParams): Metadata {
  const out: Metadata = {};
  for (const [name, value] of query) {
    if (name.startsWith('metadata.')) {
      const key = name.slice('metadata.'.length);
      if (!(key in out)) out[key] = value;
    }
  }
  return out;
}

export function sendBody(
  res: ServerResponse,
  status: number,
  body: Buffer | string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

export function sendJson(
  res: ServerResponse,
  status: number,
  value: unknown,
  headers: Record<string, string> = {},
): void {
  sendBody(res, status, JSON.stringify(value), headers);
}

export function sendNoContent(res: ServerResponse, headers: Record<string, string> = {}): void {
  res.writeHead(204, headers);
  res.end();
}

export function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

export function sendError(res: ServerResponse, error: ApiError, headers: Record<string, string> = {}): void {
  sendJson(res, error.httpStatus, error.toJSON(), headers);
}

/** Response metadata as daprd writes it: one `metadata.<k>` header per entry. */
export function metadataHeaders(metadata: Metadata | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(metadata ?? {})) {
    // A value that cannot be a header (newlines, non-Latin-1) is skipped rather than failing the whole response.
    if (/^[\w.-]+$/.test(k) && /^[\t\x20-\x7e\x80-\xff]*$/.test(v)) headers[`metadata.${k}`] = v;
  }
  return headers;
}
