/**
 * Missing-backend policy. A certification that silently skips is worthless, so in CI (`CI=true`) an
 * unreachable backend fails every case; on a laptop without the service the cases are skipped, visibly.
 */
import { errorText } from './assert.js';
import { withTimeout } from './timing.js';
import type { BackendOptions, CaseStatus } from './types.js';

export interface BackendUnavailable {
  status: Extract<CaseStatus, 'failed' | 'skipped'>;
  reason: string;
}

const PROBE_TIMEOUT_MS = 15_000;

/** `undefined` when there is no backend or it answered. */
export async function checkBackend(backend: BackendOptions | undefined): Promise<BackendUnavailable | undefined> {
  if (!backend) return undefined;
  try {
    await withTimeout(backend.probe(), PROBE_TIMEOUT_MS, `probe of ${backend.name}`);
    return undefined;
  } catch (err) {
    return {
      status: process.env.CI === 'true' ? 'failed' : 'skipped',
      reason: `backend ${backend.name} unreachable: ${errorText(err)}`,
    };
  }
}
