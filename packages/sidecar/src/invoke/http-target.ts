/**
 * Calls to HTTP targets made from this sidecar (spec sidecar-wave2 §1.5): `http(s)://…` app ids and HTTPEndpoint
 * resources. URL = base + `/` + method + `?query`; an endpoint's headers are set over the incoming ones.
 */
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { createRequire } from 'node:module';
import { traceHeaders } from '../observability/propagation.js';
import { GRPC, type InvokeCall, InvokeError, type InvokeResult } from '../shared/invocation.js';
import { fromRawHeaders, headersForApp, responseHeaders } from '../shared/invocation-headers.js';

const httpAgent = new HttpAgent({ keepAlive: true, maxSockets: 256 });
// node:https (and with it node:tls) is loaded on the first https:// call: start-up never pays for it (issue 13).
let httpsClient: { request: typeof import('node:https').request; agent: import('node:https').Agent } | undefined;
function https(): NonNullable<typeof httpsClient> {
  if (httpsClient === undefined) {
    const { Agent, request } = createRequire(import.meta.url)('node:https') as typeof import('node:https');
    httpsClient = { request, agent: new Agent({ keepAlive: true, maxSockets: 256 }) };
  }
  return httpsClient;
}

export async function invokeUrl(
  baseUrl: string,
  call: InvokeCall,
  extraHeaders: Record<string, string> = {},
): Promise<InvokeResult> {
  const verb = call.verb === 'NONE' ? 'POST' : call.verb;
  const url = new URL(`${baseUrl.replace(/\/+$/, '')}/${call.method}${call.query === '' ? '' : `?${call.query}`}`);
  const headers: Record<string, string | string[]> = headersForApp(call.metadata);
  for (const [name, value] of Object.entries(extraHeaders)) headers[name.toLowerCase()] = value;
  Object.assign(headers, traceHeaders(call.trace));
  if (call.contentType !== '') headers['content-type'] = call.contentType;
  headers['content-length'] = String(call.body.length);
  const tls = url.protocol === 'https:' ? https() : undefined;
  return new Promise((resolve, reject) => {
    const req = (tls ? tls.request : httpRequest)(
      url,
      { method: verb, headers, agent: tls ? tls.agent : httpAgent },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          resolve({
            status: res.statusCode ?? 0,
            message: '',
            headers: responseHeaders(fromRawHeaders(res.rawHeaders)),
            trailers: {},
            contentType: res.headers['content-type'] ?? '',
            body: Buffer.concat(chunks),
            typeUrl: '',
          });
        });
        res.on('error', reject);
      },
    );
    req.on('error', (error) => reject(new InvokeError(GRPC.INTERNAL, error.message)));
    req.end(call.body.length > 0 ? call.body : undefined);
  });
}
