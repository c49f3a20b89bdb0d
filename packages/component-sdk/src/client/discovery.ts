/** Discovery exactly as daprd does it at start-up (spec §1.2–1.3): reflection `list_services` per socket. */
import type { Dirent } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { methodDefinition, ServiceName } from '../server/proto.js';
import { componentKindOfService } from '../v1/kinds.js';
import { createClient } from './channel.js';

export interface ListServicesOptions {
  /** daprd only speaks v1alpha. */
  version?: 'v1alpha' | 'v1';
  timeoutMs?: number;
}

interface ReflectionResponse {
  listServicesResponse?: { service: { name: string }[] } | null;
  errorResponse?: { errorCode: number; errorMessage: string } | null;
}

/** Reflection `list_services: "*"` on a fresh connection without the instance header. */
export function listServices(socketPath: string, options: ListServicesOptions = {}): Promise<string[]> {
  const service = options.version === 'v1' ? ServiceName.ReflectionV1 : ServiceName.ReflectionV1Alpha;
  const method = methodDefinition<object, ReflectionResponse>(service, 'ServerReflectionInfo');
  const client = createClient(socketPath);
  const call = client.makeBidiStreamRequest(method.path, method.requestSerialize, method.responseDeserialize, {
    deadline: Date.now() + (options.timeoutMs ?? 5_000),
  });
  return new Promise<string[]>((resolve, reject) => {
    let settled = false;
    const finish = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      call.cancel();
      client.close();
      outcome();
    };
    call.on('data', (response: ReflectionResponse) => {
      if (response.listServicesResponse != null) {
        const names = response.listServicesResponse.service.map((s) => s.name);
        finish(() => resolve(names));
      } else {
        const error = response.errorResponse;
        finish(() =>
          reject(
            new Error(
              `reflection on ${socketPath} failed: ${error ? `${error.errorCode} ${error.errorMessage}` : 'unexpected response'}`,
            ),
          ),
        );
      }
    });
    call.on('error', (err: Error) =>
      finish(() => reject(new Error(`reflection on ${socketPath} failed: ${err.message}`))),
    );
    call.on('end', () => finish(() => reject(new Error(`reflection on ${socketPath} ended without an answer`))));
    call.write({ listServices: '*' });
  });
}

export interface DiscoveredSocket {
  name: string;
  path: string;
  services: string[];
  /** Lower-cased `<category>.<name>` types daprd would register. */
  types: string[];
}

/** Go's `filepath.Ext` removal: everything from the last dot of the file name (`.sock` → `''`). */
export function socketNameOf(fileName: string): string {
  const dot = fileName.lastIndexOf('.');
  return dot < 0 ? fileName : fileName.slice(0, dot);
}

/**
 * Lists the folder (not recursively), keeps sockets only (lstat semantics: symlinks are skipped) and asks
 * each for its services. Like daprd, one failing socket fails the whole discovery. A missing folder = none.
 */
export async function discoverSockets(
  folder: string,
  options: { timeoutMs?: number } = {},
): Promise<DiscoveredSocket[]> {
  let entries: Dirent[];
  try {
    entries = await readdir(folder, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const sockets = entries.filter((e) => e.isSocket()).sort((a, b) => a.name.localeCompare(b.name));
  return Promise.all(
    sockets.map(async (entry) => {
      const path = join(folder, entry.name);
      const name = socketNameOf(entry.name);
      const services = await listServices(path, { version: 'v1alpha', timeoutMs: options.timeoutMs });
      // Only the services of the kinds table become component types; anything else is ignored (daprd).
      const categories = services.flatMap((s) => componentKindOfService(s)?.category ?? []);
      const types = [...new Set(categories.map((category) => `${category}.${name}`.toLowerCase()))];
      return { name, path, services, types };
    }),
  );
}
