import type { BindingEvent } from '@daprkit/component-sdk';
import { waitFor } from '@daprkit/component-sdk/testing';
import { describe, expect, it } from 'vitest';
import { CronBinding, CronControl } from '../src/index.js';

const GO_UTC = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{1,9})? \+0000 UTC$/;

async function started(schedule: string, name = `cron-${Math.random()}`) {
  const binding = new CronBinding({ name });
  await binding.init({ schedule });
  const events: BindingEvent[] = [];
  const reading = new AbortController();
  await binding.read(async (e) => {
    events.push(e);
    return undefined;
  }, reading.signal);
  return { binding, events, reading, name };
}

describe('cron input binding', () => {
  it('fires on @every with no data and contrib metadata, returning from read at once', async () => {
    const { binding, events, reading } = await started('@every 100ms');
    await waitFor(() => (events.length >= 3 ? true : undefined), 5_000, 'three ticks');
    const first = events[0]!;
    expect(first.data.byteLength).toBe(0);
    expect(Object.keys(first.metadata).sort()).toEqual(['readTimeUTC', 'timeZone']);
    expect(first.metadata.timeZone).toBe('Local');
    expect(first.metadata.readTimeUTC).toMatch(GO_UTC);
    reading.abort();
    const seen = events.length;
    await new Promise((r) => setTimeout(r, 300));
    expect(events.length).toBeLessThanOrEqual(seen + 1);
    await binding.close();
  });

  it('fires a 6-field every-second schedule on the second', async () => {
    const { binding, events } = await started('* * * * * *');
    await waitFor(() => (events.length >= 1 ? true : undefined), 3_000, 'one tick');
    const at = Date.parse(events[0]!.metadata.readTimeUTC!.replace(' +0000 UTC', 'Z').replace(' ', 'T'));
    expect(at % 1000).toBeLessThan(200);
    await binding.close();
  });

  it('ignores handler errors (no retry) and keeps firing; slow handlers overlap', async () => {
    const binding = new CronBinding();
    await binding.init({ schedule: '@every 50ms' });
    let calls = 0;
    let inFlight = 0;
    let maxInFlight = 0;
    await binding.read(async () => {
      calls++;
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((r) => setTimeout(r, 200));
      inFlight--;
      throw new Error('app down');
    }, new AbortController().signal);
    await waitFor(() => (calls >= 4 ? true : undefined), 5_000, 'four ticks');
    expect(maxInFlight).toBeGreaterThan(1);
    await binding.close();
  });

  it('close stops every schedule, is idempotent, and read afterwards fails', async () => {
    const { binding, events } = await started('@every 50ms');
    await waitFor(() => (events.length >= 1 ? true : undefined), 3_000, 'a tick');
    await binding.close();
    await binding.close();
    const seen = events.length;
    await new Promise((r) => setTimeout(r, 200));
    expect(events.length).toBe(seen);
    await expect(binding.read(async () => undefined, new AbortController().signal)).rejects.toThrow(
      'binding is closed',
    );
  });

  it('rejects a bad schedule at init, naming the field', async () => {
    await expect(new CronBinding().init({ schedule: '@every' })).rejects.toThrow(
      "metadata 'schedule': invalid schedule format '@every': unrecognized descriptor: @every",
    );
    await expect(new CronBinding().init({})).rejects.toThrow('schedule not set');
  });
});

describe('cron delete operation (output side)', () => {
  it('stops the running schedule of the same component name', async () => {
    const { binding, events, name } = await started('@every 50ms');
    const control = new CronControl({ name });
    await control.init({ schedule: '@every 50ms' });
    expect(control.operations()).toEqual(['delete']);
    await waitFor(() => (events.length >= 1 ? true : undefined), 3_000, 'a tick');
    const response = await control.invoke({ operation: 'delete', data: new Uint8Array(), metadata: {} });
    expect(response.metadata?.schedule).toBe('@every 50ms');
    expect(response.metadata?.stopTimeUTC).toMatch(GO_UTC);
    const seen = events.length;
    await new Promise((r) => setTimeout(r, 200));
    expect(events.length).toBe(seen);
    await expect(control.invoke({ operation: 'create', data: new Uint8Array(), metadata: {} })).rejects.toThrow(
      "invalid operation: 'create', only 'delete' supported",
    );
    await binding.close();
  });
});
