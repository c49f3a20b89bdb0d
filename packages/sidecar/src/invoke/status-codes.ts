/** gRPC ↔ HTTP status mappings daprd uses for invocation (spec sidecar-wave2 §1.4). */

const HTTP_FROM_GRPC = [200, 408, 500, 400, 504, 404, 409, 403, 429, 400, 409, 400, 501, 500, 503, 500, 401];

/** HTTPStatusFromCode. */
export function httpStatusFromGrpc(code: number): number {
  return HTTP_FROM_GRPC[code] ?? 500;
}

const GRPC_FROM_HTTP: Record<number, number> = {
  408: 1,
  500: 2,
  400: 13,
  504: 4,
  404: 5,
  409: 6,
  403: 7,
  401: 16,
  429: 8,
  501: 12,
  503: 14,
};

/** CodeFromHTTPStatus (note 400 → Internal, as daprd). */
export function grpcCodeFromHttp(status: number): number {
  if (status >= 200 && status < 300) return 0;
  return GRPC_FROM_HTTP[status] ?? 2;
}
