// grpc-message encoding (gRPC over HTTP/2: percent-encoding), including the edge a fuzz run found: a message
// ending in a space is an invalid HTTP/2 field value, which nghttp2-based clients (grpc-js) silently drop.
import { describe, expect, it } from 'vitest';
import { encodeGrpcMessage } from '../src/transport/grpc-server.js';

describe('encodeGrpcMessage', () => {
  it('leaves printable ASCII alone and percent-encodes the rest as UTF-8 bytes', () => {
    expect(encodeGrpcMessage('state store not found')).toBe('state store not found');
    expect(encodeGrpcMessage('100% sure')).toBe('100%25 sure');
    expect(encodeGrpcMessage('naïve\n')).toBe('na%C3%AFve%0A');
  });

  it('encodes leading and trailing spaces, so the header survives and decodes to the same text', () => {
    const encoded = encodeGrpcMessage("  couldn't find output binding ");
    expect(encoded).toBe("%20%20couldn't find output binding%20");
    expect(decodeURIComponent(encoded)).toBe("  couldn't find output binding ");
  });
});
