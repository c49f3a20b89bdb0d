/**
 * @daprkit/aws-common/testing — reach the shared AWS-compatible test server (`bash scripts/services.sh up moto`,
 * settings from `services.sh env moto`: DAPRKIT_AWS_*) and gate suites on it: skipped visibly without it locally,
 * failing with `CI=true`, where a skip would hide a gap. Needs `vitest` (an optional peer dependency).
 */
import type { Metadata } from '@daprkit/component-sdk';
import { describe, it } from 'vitest';

export const AWS_TEST = {
  endpoint: process.env.DAPRKIT_AWS_ENDPOINT ?? 'http://127.0.0.1:4566',
  region: process.env.DAPRKIT_AWS_REGION ?? 'us-east-1',
  accessKey: process.env.DAPRKIT_AWS_ACCESS_KEY ?? 'daprkit-access',
  secretKey: process.env.DAPRKIT_AWS_SECRET_KEY ?? 'daprkit-secret',
};

const HINT = 'run bash scripts/services.sh up moto';

/** Component metadata reaching the test server with static keys. */
export function awsTestProperties(extra: Metadata = {}): Metadata {
  return {
    region: AWS_TEST.region,
    endpoint: AWS_TEST.endpoint,
    accessKey: AWS_TEST.accessKey,
    secretKey: AWS_TEST.secretKey,
    ...extra,
  };
}

/** The same, as an SDK v3 client configuration (for tests that provision tables, buckets, secrets). */
export function awsTestClientConfig() {
  return {
    region: AWS_TEST.region,
    endpoint: AWS_TEST.endpoint,
    credentials: { accessKeyId: AWS_TEST.accessKey, secretAccessKey: AWS_TEST.secretKey },
  };
}

/** Throws when nothing answers HTTP at the endpoint within 2 s. */
export async function probeAws(endpoint = AWS_TEST.endpoint): Promise<void> {
  // A stopped server refuses at once; moto is single-threaded, so while another suite's 5,000-message kill test
  // keeps it busy, an answer can take seconds.
  const response = await fetch(endpoint, { signal: AbortSignal.timeout(15_000) });
  await response.body?.cancel();
}

/** `undefined` when the endpoint answers, otherwise why not. */
export async function awsUnreachable(endpoint = AWS_TEST.endpoint): Promise<string | undefined> {
  try {
    await probeAws(endpoint);
    return undefined;
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code;
    return `AWS test server unreachable at ${endpoint}: ${cause ?? ((err instanceof Error && err.message) || String(err))}`;
  }
}

/** `describe` when `missing` is undefined; else a failing suite with `CI=true`, `describe.skip` with the reason locally. */
export function describeIfAws(missing: string | undefined, name: string, body: () => void): void {
  if (missing === undefined) describe(name, body);
  else if (process.env.CI === 'true') {
    describe(name, () => {
      it('has its backend', () => {
        throw new Error(`${missing}; CI must provide it`);
      });
    });
  } else describe.skip(`${name} [skipped: ${missing}; ${HINT}]`, body);
}

export type DescribeWithAws = (name: string, body: () => void) => void;

/** Probes once: `export const describeWithAws = await createDescribeWithAws();` at the top of a support module. */
export async function createDescribeWithAws(endpoint = AWS_TEST.endpoint): Promise<DescribeWithAws> {
  const missing = await awsUnreachable(endpoint);
  return (name, body) => describeIfAws(missing, name, body);
}

/** A name unique to this run, within AWS's common name rules (letters, digits, `-`). */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}
