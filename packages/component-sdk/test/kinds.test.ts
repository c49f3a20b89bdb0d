// The kinds table is the one list of component kinds: check it against the contract, the loaded protos and the
// service names the server registers.
import { describe, expect, it } from 'vitest';
import {
  COMPONENT_KINDS,
  type ComponentKind,
  type ComponentKinds,
  categoryOfType,
  componentKindInfo,
  componentKindOfService,
  componentKindsOfCategory,
} from '../src/index.js';
import { ServiceName, serviceDefinition } from '../src/server/proto.js';

describe('COMPONENT_KINDS', () => {
  it('has one row per kind of the contract', () => {
    const kinds: Record<ComponentKind, true> = {
      state: true,
      pubsub: true,
      inputBinding: true,
      outputBinding: true,
      secretStore: true,
    } satisfies Record<keyof ComponentKinds, true>;
    expect(COMPONENT_KINDS.map((k) => k.kind).sort()).toEqual(Object.keys(kinds).sort());
  });

  it('names services that the protos define and the server registers under ServiceName', () => {
    const names: string[] = Object.values(ServiceName);
    for (const { service, kind } of COMPONENT_KINDS) {
      expect(names, kind).toContain(service);
      expect(() => serviceDefinition(service as ServiceName), kind).not.toThrow();
    }
  });

  it('answers lookups both ways', () => {
    expect(componentKindInfo('secretStore').category).toBe('secretstores');
    expect(componentKindOfService(ServiceName.InputBinding)?.kind).toBe('inputBinding');
    expect(componentKindOfService(ServiceName.TransactionalStateStore)).toBeUndefined();
    expect(componentKindsOfCategory('bindings')).toEqual(['inputBinding', 'outputBinding']);
    expect(componentKindsOfCategory('configuration')).toEqual([]);
    expect(categoryOfType('secretstores.local.env')).toBe('secretstores');
    expect(categoryOfType('state')).toBe('state');
  });
});
