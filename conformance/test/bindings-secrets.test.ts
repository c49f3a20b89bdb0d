import type { InvokeRequest, InvokeResponse, Secret } from '@daprkit/component-sdk';
import { describe, expect, it } from 'vitest';
import { runInputBindingConformance, runOutputBindingConformance, runSecretStoreConformance } from '../src/index.js';
import {
  EnvSecretStore,
  inputBindingDefinition,
  MapOutputBinding,
  outputBindingDefinition,
  secretStoreDefinition,
  TickerInputBinding,
} from './fixtures/simple-components.js';
import { expectCertified, expectFailures, statusOf } from './helpers.js';

const OUTPUT_OPERATIONS = ['create', 'get', 'list', 'delete'];
const output = { key: 'conformance' };

describe.concurrent('secret stores', () => {
  it('the reference env store is certified in both modes', async () => {
    expectCertified(await runSecretStoreConformance({ definition: secretStoreDefinition(() => new EnvSecretStore()) }));
  });

  it('one returning extra keys from getSecret fails X-GET only', async () => {
    class Chatty extends EnvSecretStore {
      override async getSecret(request: { name: string }): Promise<Secret> {
        return { ...(await super.getSecret(request)), extra: 'leak' };
      }
    }
    const results = await runSecretStoreConformance({ definition: secretStoreDefinition(() => new Chatty()) });
    expectFailures(results, 'in-process', ['X-GET']);
    expectFailures(results, 'socket', ['X-GET']);
  });

  it('a missing secret must match the declared outcome', async () => {
    /** local.env style: unknown names map to ''. */
    class Lenient extends EnvSecretStore {
      override async getSecret(request: { name: string }): Promise<Secret> {
        return { [request.name]: this.secrets[request.name] ?? '' };
      }
    }
    const undeclared = await runSecretStoreConformance({ definition: secretStoreDefinition(() => new Lenient()) });
    expectFailures(undeclared, 'in-process', ['X-X-MISSING']);
    expectFailures(undeclared, 'socket', ['X-X-MISSING']);
    const declared = await runSecretStoreConformance({
      definition: secretStoreDefinition(() => new Lenient()),
      config: { missingSecret: 'empty' },
    });
    expectCertified(declared);
    const wrongDeclaration = await runSecretStoreConformance({
      definition: secretStoreDefinition(() => new EnvSecretStore()),
      config: { missingSecret: 'empty' },
      modes: ['in-process'],
    });
    expectFailures(wrongDeclaration, 'in-process', ['X-X-MISSING']);
  });
});

describe.concurrent('bindings', () => {
  it('the reference output binding is certified in both modes', async () => {
    const results = await runOutputBindingConformance({
      definition: outputBindingDefinition(() => new MapOutputBinding()),
      operations: OUTPUT_OPERATIONS,
      config: { output },
    });
    expectCertified(results);
    expect(statusOf(results, 'B-CLOSE', 'socket')).toBe('not-on-wire');
  });

  it('an output binding that does not list a claimed operation, or returns the wrong data, fails those cases', async () => {
    class Forgetful extends MapOutputBinding {
      override operations(): string[] {
        return ['create', 'get', 'delete'];
      }
      override async invoke(request: InvokeRequest): Promise<InvokeResponse> {
        const response = await super.invoke(request);
        return request.operation === 'get' && response.data ? { data: response.data.subarray(1) } : response;
      }
    }
    const results = await runOutputBindingConformance({
      definition: outputBindingDefinition(() => new Forgetful()),
      operations: [...OUTPUT_OPERATIONS, 'exec'],
      config: { output },
      modes: ['in-process'],
    });
    expectFailures(results, 'in-process', ['B-OPS', 'B-GET']);
  });

  it('the reference input binding is certified in both modes', async () => {
    const results = await runInputBindingConformance({
      definition: inputBindingDefinition(() => new TickerInputBinding()),
      config: { readBindingWaitMs: 20 },
    });
    expectCertified(results);
  });

  it('an input binding that never emits fails B-VERIFY, and a trigger can make a quiet source emit', async () => {
    const silent = await runInputBindingConformance({
      definition: inputBindingDefinition(() => new TickerInputBinding(60_000)),
      config: { readBindingWaitMs: 20, readBindingTimeoutMs: 300 },
      modes: ['in-process'],
    });
    expectFailures(silent, 'in-process', ['B-VERIFY']);

    let emit: (() => Promise<unknown>) | undefined;
    class Triggered extends TickerInputBinding {
      override async read(handler: Parameters<TickerInputBinding['read']>[0], signal: AbortSignal): Promise<void> {
        emit = () => handler({ data: new Uint8Array([1]), metadata: {} });
        await super.read(handler, signal);
      }
    }
    const triggered = await runInputBindingConformance({
      definition: inputBindingDefinition(() => new Triggered(60_000)),
      config: { readBindingWaitMs: 20, readBindingTimeoutMs: 300, trigger: async () => void (await emit?.()) },
      modes: ['in-process'],
    });
    expectCertified(triggered, ['in-process']);
  });
});
