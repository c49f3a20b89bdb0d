/**
 * §0.3 claims both ways: a claimed capability must be advertised and implemented; an unclaimed one must be
 * neither. Over the socket, DELETE_WITH_PREFIX and KEYS_LIKE have no RPC, so they must never be advertised.
 */
import { StateFeature } from '@daprkit/component-sdk';
import { check } from '../../harness/assert.js';
import { type ConformanceCase, notClaimed } from '../../harness/case.js';
import { advertisedFeatures, hasMethod } from '../fixtures.js';
import type { StateContext, StateOperation } from '../options.js';

interface Capability {
  id: string;
  operation: StateOperation;
  feature: string;
  /** The optional method behind the feature, when there is one. */
  method?: string;
  /** No pluggable RPC carries it. */
  offWire?: boolean;
}

const CAPABILITIES: Capability[] = [
  { id: 'S-CLAIM-TX', operation: 'transaction', feature: StateFeature.Transactional, method: 'transact' },
  { id: 'S-CLAIM-ETAG', operation: 'etag', feature: StateFeature.ETag },
  { id: 'S-CLAIM-QUERY', operation: 'query', feature: StateFeature.QueryAPI, method: 'query' },
  { id: 'S-CLAIM-TTL', operation: 'ttl', feature: StateFeature.TTL },
  {
    id: 'S-CLAIM-DWP',
    operation: 'delete-with-prefix',
    feature: StateFeature.DeleteWithPrefix,
    method: 'deleteWithPrefix',
    offWire: true,
  },
  { id: 'S-CLAIM-KL', operation: 'keyslike', feature: StateFeature.KeysLike, method: 'keysLike', offWire: true },
];

function checkClaim(c: StateContext, capability: Capability): void {
  const features = advertisedFeatures(c);
  const advertised = features.has(capability.feature);
  const implemented = capability.method === undefined || hasMethod(c.component, capability.method);
  if (capability.offWire && c.mode === 'socket') {
    check(!advertised, `${capability.feature} is advertised over the socket, but no pluggable RPC carries it`);
    return;
  }
  if (c.claims.has(capability.operation)) {
    check(advertised, `'${capability.operation}' is claimed but ${capability.feature} is not advertised`);
    check(implemented, `'${capability.operation}' is claimed but ${capability.method}() is not implemented`);
  } else {
    check(!advertised, `${capability.feature} is advertised but '${capability.operation}' is not claimed`);
    check(
      capability.method === undefined || !hasMethod(c.component, capability.method),
      `${capability.method}() is implemented but '${capability.operation}' is not claimed`,
    );
  }
}

export const claimCases: ConformanceCase<StateContext>[] = CAPABILITIES.map((capability) => ({
  id: capability.id,
  title: `claim '${capability.operation}' matches ${capability.feature}${capability.method ? ` and ${capability.method}()` : ''}`,
  run: async (c) => checkClaim(c, capability),
}));

/** daprd refuses actor state on a store that lacks ETAG or TRANSACTIONAL (pluggable-protocol §5.4). */
export const actorClaim: ConformanceCase<StateContext> = {
  id: 'S-CLAIM-ACTOR',
  title: "claim 'actorStateStore' comes with ETAG and TRANSACTIONAL",
  gate: (c) => (c.claims.has('actorStateStore') ? undefined : notClaimed("operation 'actorStateStore' not claimed")),
  run: async (c) => {
    const features = advertisedFeatures(c);
    for (const needed of [StateFeature.ETag, StateFeature.Transactional]) {
      check(features.has(needed), `'actorStateStore' is claimed but ${needed} is not advertised`);
    }
  },
};
