/**
 * HTTPEndpoint resources (spec sidecar-wave2 §1.5), read from the resources paths by this module (the resource
 * loader does not know the kind): `spec.baseUrl` (required) and `spec.headers` (`value` or `envRef`), scoped by
 * `scopes`. `clientTLS` and `secretKeyRef` headers are refused with a clear error rather than silently ignored.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface HttpEndpoint {
  name: string;
  baseUrl: string;
  headers: Record<string, string>;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function httpEndpointFromManifest(manifest: Record<string, unknown>, source: string): HttpEndpoint {
  const name = isObject(manifest.metadata) ? manifest.metadata.name : undefined;
  if (typeof name !== 'string' || name === '') throw new Error(`HTTPEndpoint in ${source}: metadata.name is required`);
  const where = `HTTPEndpoint '${name}' (${source})`;
  const spec = isObject(manifest.spec) ? manifest.spec : {};
  if (typeof spec.baseUrl !== 'string' || !/^https?:\/\//.test(spec.baseUrl))
    throw new Error(`${where}: spec.baseUrl must be an http:// or https:// URL`);
  if (spec.clientTLS !== undefined) throw new Error(`${where}: spec.clientTLS is not supported by daprkit-sidecar`);
  const headers: Record<string, string> = {};
  for (const [i, item] of (Array.isArray(spec.headers) ? spec.headers : []).entries()) {
    if (!isObject(item) || typeof item.name !== 'string')
      throw new Error(`${where}: spec.headers[${i}].name must be a string`);
    if (item.secretKeyRef !== undefined)
      throw new Error(
        `${where}: spec.headers[${i}].secretKeyRef is not supported by daprkit-sidecar (use value or envRef)`,
      );
    if (typeof item.envRef === 'string') headers[item.name] = process.env[item.envRef] ?? '';
    else if (item.value !== undefined && item.value !== null) headers[item.name] = String(item.value);
    else throw new Error(`${where}: spec.headers[${i}] needs value or envRef`);
  }
  return { name, baseUrl: spec.baseUrl, headers };
}

/** Every HTTPEndpoint in `dirs` (non-recursive, .yaml/.yml) visible to `appId`. */
export async function loadHttpEndpoints(dirs: readonly string[], appId: string): Promise<Map<string, HttpEndpoint>> {
  const endpoints = new Map<string, HttpEndpoint>();
  for (const dir of dirs) {
    let files: string[];
    try {
      files = (await readdir(dir)).filter((f) => /\.ya?ml$/.test(f)).sort();
    } catch {
      continue; // the resource loader reports unreadable paths
    }
    // The YAML parser only when there is YAML to read (the embedded defaults have none).
    const { parseAllDocuments } = files.length > 0 ? await import('yaml') : { parseAllDocuments: () => [] };
    for (const file of files) {
      const source = join(dir, file);
      for (const doc of parseAllDocuments(await readFile(source, 'utf8'))) {
        const json = doc.errors.length > 0 ? undefined : (doc.toJS() as unknown);
        if (!isObject(json) || json.kind !== 'HTTPEndpoint') continue;
        const scopes = Array.isArray(json.scopes) ? json.scopes.map(String) : [];
        if (scopes.length > 0 && !scopes.includes(appId)) continue;
        const endpoint = httpEndpointFromManifest(json, source);
        if (endpoints.has(endpoint.name)) throw new Error(`duplicate definition of HTTPEndpoint '${endpoint.name}'`);
        endpoints.set(endpoint.name, endpoint);
      }
    }
  }
  return endpoints;
}
