// Every hand-kept table in the sidecar is checked against what it describes: the built-in registry against each
// component package's `definitions[].types`, the gRPC handler groups against the Dapr proto, the error catalogue
// against its own rules.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ComponentDefinition, categoryOfType, componentKindInfo } from '@daprkit/component-sdk';
import { describe, expect, it } from 'vitest';
import { DEFAULT_REGISTRY } from '../src/composition/registry.js';
import { grpcHandlers } from '../src/grpc/server.js';
import type { Runtime } from '../src/runtime.js';
import { API_ERRORS, type ApiErrorKind, apiError } from '../src/shared/errors.js';
import { daprService } from '../src/shared/runtime-proto.js';

const root = new URL('../../../', import.meta.url).pathname;

/** Every workspace component package with its manifest name and exported definitions. */
async function componentPackages(): Promise<{ name: string; definitions: ComponentDefinition[] }[]> {
  const dirs = readdirSync(join(root, 'packages')).filter((d) => /^(state|pubsub|bindings|secretstores)-/.test(d));
  return Promise.all(
    dirs
      .filter((d) => existsSync(join(root, 'packages', d, 'src', 'index.ts')))
      .map(async (d) => {
        const manifest = JSON.parse(readFileSync(join(root, 'packages', d, 'package.json'), 'utf8')) as {
          name: string;
        };
        const mod = (await import(join(root, 'packages', d, 'src', 'index.ts'))) as {
          definitions: ComponentDefinition[];
        };
        return { name: manifest.name, definitions: mod.definitions };
      }),
  );
}

describe('DEFAULT_REGISTRY', () => {
  it('names, for every type, a package whose definitions declare that type', async () => {
    const packages = await componentPackages();
    expect(packages.length).toBeGreaterThan(5);
    const typesOf = new Map(packages.map((p) => [p.name, new Set(p.definitions.flatMap((d) => d.types))]));
    const wrong = Object.entries(DEFAULT_REGISTRY)
      .filter(([type, pkg]) => !typesOf.get(pkg)?.has(type))
      .map(([type, pkg]) => `${type} -> ${pkg}`);
    expect(wrong).toEqual([]);
  });

  it('has a line for every in-process type a package declares (except its own socket type)', async () => {
    const missing: string[] = [];
    for (const { name, definitions } of await componentPackages()) {
      for (const definition of definitions) {
        const socketType = `${componentKindInfo(definition.kind).category}.${definition.socketName}`;
        for (const type of definition.types) {
          // `state.daprkit-memory` names the plugin's socket: daprd and the sidecar find it there.
          if (type === socketType) continue;
          if (DEFAULT_REGISTRY[type] !== name) missing.push(`'${type}': '${name}'`);
        }
      }
    }
    expect(missing).toEqual([]);
  });

  it('is installed on demand: only the embedded and local stores are dependencies, the rest optional', () => {
    const manifest = JSON.parse(readFileSync(join(root, 'packages', 'sidecar', 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
      peerDependencies?: Record<string, string>;
      peerDependenciesMeta?: Record<string, { optional?: boolean }>;
    };
    const registered = new Set(Object.values(DEFAULT_REGISTRY));
    const bundled = Object.keys(manifest.dependencies).filter((d) => registered.has(d));
    expect(bundled.sort()).toEqual([
      '@daprkit/pubsub-memory',
      '@daprkit/secretstores-local-env',
      '@daprkit/secretstores-local-file',
      '@daprkit/state-memory',
    ]);
    for (const peer of Object.keys(manifest.peerDependencies ?? {}))
      expect(manifest.peerDependenciesMeta?.[peer]?.optional, peer).toBe(true);
    expect(manifest.peerDependencies).toHaveProperty('@daprkit/secretstores-azure-keyvault');
  });

  it('is a plain table of lower-case Dapr types', () => {
    for (const [type, pkg] of Object.entries(DEFAULT_REGISTRY)) {
      expect(type).toBe(type.toLowerCase());
      expect(['state', 'pubsub', 'bindings', 'secretstores']).toContain(categoryOfType(type));
      expect(pkg).toMatch(/^@daprkit\/[a-z0-9-]+$/);
    }
  });
});

describe('gRPC handler groups', () => {
  // Building the groups touches nothing of the runtime; only the calls do.
  const handlers = grpcHandlers({} as Runtime);

  it('serve only methods of dapr.proto.runtime.v1.Dapr', () => {
    const methods = new Set(Object.keys(daprService().service));
    expect([...handlers.keys()].filter((m) => !methods.has(m))).toEqual([]);
  });

  it('serve the subset the README lists, each method in one group', () => {
    expect([...handlers.keys()].sort()).toEqual(
      [
        ...['GetState', 'GetBulkState', 'SaveState', 'DeleteState', 'DeleteBulkState', 'ExecuteStateTransaction'],
        ...['QueryStateAlpha1', 'PublishEvent', 'BulkPublishEventAlpha1', 'BulkPublishEvent', 'InvokeBinding'],
        ...['GetSecret', 'GetBulkSecret', 'GetMetadata', 'SetMetadata', 'Shutdown', 'InvokeService'],
      ].sort(),
    );
  });
});

describe('API_ERRORS', () => {
  const kinds = Object.keys(API_ERRORS) as ApiErrorKind[];

  it('gives every detail an error carries what it needs (reason, resource type, help link)', () => {
    for (const kind of kinds) {
      const spec: (typeof API_ERRORS)[ApiErrorKind] & { details?: readonly string[] } = API_ERRORS[kind];
      const details = spec.details ?? [];
      if (details.includes('info')) expect('reason' in spec ? spec.reason : undefined, kind).toMatch(/^DAPR_/);
      if (details.includes('resource')) expect('resourceType' in spec, kind).toBe(true);
      if (details.includes('help')) expect('help' in spec, kind).toBe(true);
      expect(new Set(details).size, kind).toBe(details.length);
      expect(spec.errorCode, kind).toMatch(/^(ERR_[A-Z_]+|ERROR|Unauthorized)$/);
    }
  });

  it('builds daprd-shaped bodies from named fields', () => {
    const error = apiError('stateIllegalKey', { message: 'no', field: 'a||b', resource: 'store' });
    expect(error.httpStatus).toBe(400);
    expect(error.toJSON()).toEqual({
      errorCode: 'ERR_MALFORMED_REQUEST',
      message: 'no',
      details: [
        {
          '@type': 'type.googleapis.com/google.rpc.BadRequest',
          field_violations: [{ field: 'a||b', description: 'no' }],
        },
        {
          '@type': 'type.googleapis.com/google.rpc.ResourceInfo',
          resource_type: 'state',
          resource_name: 'store',
          owner: '',
          description: 'no',
        },
        {
          '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
          reason: 'DAPR_STATE_ILLEGAL_KEY',
          domain: 'dapr.io',
          metadata: {},
        },
      ],
    });
    expect(apiError('stateGet', { message: 'x' }).toJSON()).toEqual({ errorCode: 'ERR_STATE_GET', message: 'x' });
  });
});
