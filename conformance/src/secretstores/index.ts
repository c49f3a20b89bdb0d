/** The secret store suite (conformance.md §4) plus the [EXTENSION] missing-secret behaviour. */
import { randomUUID } from 'node:crypto';
import { DaprkitError, ErrorCode, type Metadata } from '@daprkit/component-sdk';
import { check, checkEqual, errorText, expectRejection, step } from '../harness/assert.js';
import { type BaseContext, type ConformanceCase, notOnWire } from '../harness/case.js';
import { checkPing, PING_SENTINELS } from '../harness/ping.js';
import { runSuite } from '../harness/run.js';
import type { SuiteSpec } from '../harness/session.js';
import type { CaseResult, DescribeOptions, Mode, SuiteOptions } from '../harness/types.js';

export interface SecretStoreConfig {
  /**
   * What a missing secret yields: `error` (the contract: NotFoundError; local.file, Key Vault) or `empty`
   * (the name mapped to `''`, as upstream local.env does).
   */
  missingSecret?: 'error' | 'empty';
}

export type SecretStoreOptions = SuiteOptions<'secretStore', never, SecretStoreConfig>;
export type DescribeSecretStoreOptions = SecretStoreOptions & DescribeOptions;

/**
 * The fixture every store must hold. The harness also exports them as environment variables before init,
 * as upstream does for the env-var store; file and cloud stores must be provisioned with the same pairs.
 */
export const SECRET_FIXTURE = { conftestsecret: 'abcd', secondsecret: 'efgh' } as const;

interface SecretStoreContext extends BaseContext<'secretStore'> {
  readonly properties: Metadata;
  readonly missingSecret: 'error' | 'empty';
  readonly missingName: string;
}

const CASES: ConformanceCase<SecretStoreContext>[] = [
  {
    id: 'X-INIT',
    title: 'init with the component properties',
    run: async (c) => {
      Object.assign(process.env, SECRET_FIXTURE);
      await c.component.init(c.properties);
    },
  },
  {
    id: 'X-PING',
    title: 'ping succeeds or answers the not-implemented sentinel',
    run: (c) => checkPing(c.component, PING_SENTINELS.secretStore, c.mode),
  },
  {
    id: 'X-GET',
    title: 'getSecret returns exactly the one pair',
    run: async (c) => {
      const secret = await step('getSecret', () => c.component.getSecret({ name: 'conftestsecret', metadata: {} }));
      checkEqual({ ...secret }, { conftestsecret: SECRET_FIXTURE.conftestsecret }, 'getSecret(conftestsecret)');
    },
  },
  {
    id: 'X-BULK',
    title: 'bulkGetSecret contains both fixture secrets (extra secrets allowed)',
    run: async (c) => {
      const all = await step('bulkGetSecret', () => c.component.bulkGetSecret({ metadata: {} }));
      check(all, 'bulkGetSecret returned nothing');
      for (const [name, value] of Object.entries(SECRET_FIXTURE)) {
        checkEqual(all[name] && { ...all[name] }, { [name]: value }, `bulkGetSecret[${name}]`);
      }
    },
  },
  {
    id: 'X-X-MISSING',
    title: 'a missing secret yields the declared outcome',
    run: async (c) => {
      const request = { name: c.missingName, metadata: {} };
      if (c.missingSecret === 'empty') {
        const secret = await step('getSecret of a missing secret', () => c.component.getSecret(request));
        checkEqual({ ...secret }, { [c.missingName]: '' }, 'missing secret (declared: empty)');
        return;
      }
      const err = await expectRejection(() => c.component.getSecret(request), 'getSecret of a missing secret');
      check(
        !DaprkitError.isInstance(err) || err.code === ErrorCode.NotFound,
        `a missing secret must be a NotFoundError, got '${errorText(err)}'`,
      );
    },
  },
  {
    id: 'X-X-CLOSE',
    title: 'close succeeds and is idempotent',
    gate: (c) => (c.mode === 'socket' ? notOnWire('the pluggable protocol has no Close RPC') : undefined),
    run: async (c) => {
      if (typeof c.component.close !== 'function') return 'no close(): nothing to release';
      await c.component.close();
      await c.component.close();
      return undefined;
    },
  },
];

/** The suite's cases and per-mode context (shared by run* and the vitest entry). */
export function secretStoreSpec(options: SecretStoreOptions): SuiteSpec<'secretStore', SecretStoreContext> {
  return {
    kind: 'secretStore',
    cases: CASES,
    abortOn: 'X-INIT',
    createContext: (mode: Mode) => ({
      mode,
      component: undefined as never,
      properties: { ...options.properties },
      missingSecret: options.config?.missingSecret ?? 'error',
      missingName: `conformance-missing-${randomUUID()}`,
    }),
  };
}

/** Runs the secret store suite in each mode; rejects when `definition` is not a secretStore component. */
export function runSecretStoreConformance(options: SecretStoreOptions): Promise<CaseResult[]> {
  return runSuite('runSecretStoreConformance', secretStoreSpec(options), options);
}
