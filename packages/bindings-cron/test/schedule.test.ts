import { describe, expect, it } from 'vitest';
import { goUtcString, parseCronSettings, parseSchedule } from '../src/index.js';

const utc = (s: string) => Date.parse(s);
const iso = (ms: number) => new Date(ms).toISOString();
/** Successive activations after `from`, evaluated in UTC (the TZ= prefix). */
function runs(spec: string, from: string, count = 3): string[] {
  const schedule = parseSchedule(`TZ=UTC ${spec}`);
  const out: string[] = [];
  let t = utc(from);
  for (let i = 0; i < count; i++) {
    t = schedule.next(t);
    out.push(iso(t));
  }
  return out;
}

describe('schedule grammar (dapr/kit cron semantics)', () => {
  it('5 fields fire at second 0; a 6th leading field is seconds', () => {
    expect(runs('*/15 * * * *', '2026-01-01T00:07:30Z')).toEqual([
      '2026-01-01T00:15:00.000Z',
      '2026-01-01T00:30:00.000Z',
      '2026-01-01T00:45:00.000Z',
    ]);
    expect(runs('15 * * * * *', '2026-01-01T00:00:00Z', 2)).toEqual([
      '2026-01-01T00:00:15.000Z',
      '2026-01-01T00:01:15.000Z',
    ]);
    expect(runs('*/20 * * * * *', '2026-01-01T00:00:00Z', 3)).toEqual([
      '2026-01-01T00:00:20.000Z',
      '2026-01-01T00:00:40.000Z',
      '2026-01-01T00:01:00.000Z',
    ]);
  });

  it('ranges, lists, steps and names', () => {
    expect(runs('0 30 9-10 * * MON-FRI', '2026-01-02T10:00:00Z', 3)).toEqual([
      '2026-01-02T10:30:00.000Z', // Friday
      '2026-01-05T09:30:00.000Z', // Monday
      '2026-01-05T10:30:00.000Z',
    ]);
    expect(runs('0 0 1,15 jan,JUL ?', '2026-01-20T00:00:00Z', 3)).toEqual([
      '2026-07-01T00:00:00.000Z',
      '2026-07-15T00:00:00.000Z',
      '2027-01-01T00:00:00.000Z',
    ]);
    expect(runs('0 0 5/10 * * *', '2026-01-01T00:00:00Z', 3)).toEqual([
      '2026-01-01T05:00:00.000Z',
      '2026-01-01T15:00:00.000Z',
      '2026-01-02T05:00:00.000Z',
    ]);
  });

  it('day-of-month and day-of-week: OR when both restricted, AND when either is *', () => {
    // the 13th OR any Friday
    expect(runs('0 0 0 13 * 5', '2026-02-01T00:00:00Z', 3)).toEqual([
      '2026-02-06T00:00:00.000Z',
      '2026-02-13T00:00:00.000Z',
      '2026-02-20T00:00:00.000Z',
    ]);
    expect(runs('0 0 0 31 * *', '2026-02-01T00:00:00Z', 2)).toEqual([
      '2026-03-31T00:00:00.000Z',
      '2026-05-31T00:00:00.000Z',
    ]);
    expect(runs('0 0 29 2 *', '2026-01-01T00:00:00Z', 1)).toEqual(['2028-02-29T00:00:00.000Z']);
    // a date that never comes: no activation (robfig gives up after five years too)
    expect(parseSchedule('TZ=UTC 0 0 30 2 *').next(utc('2026-01-01T00:00:00Z'))).toBe(Number.POSITIVE_INFINITY);
  });

  it('descriptors', () => {
    const from = '2026-03-04T05:06:07Z';
    expect(runs('@daily', from, 1)).toEqual(['2026-03-05T00:00:00.000Z']);
    expect(runs('@midnight', from, 1)).toEqual(['2026-03-05T00:00:00.000Z']);
    expect(runs('@hourly', from, 1)).toEqual(['2026-03-04T06:00:00.000Z']);
    expect(runs('@weekly', from, 1)).toEqual(['2026-03-08T00:00:00.000Z']); // Sunday
    expect(runs('@monthly', from, 1)).toEqual(['2026-04-01T00:00:00.000Z']);
    expect(runs('@yearly', from, 1)).toEqual(['2027-01-01T00:00:00.000Z']);
    expect(runs('@annually', from, 1)).toEqual(['2027-01-01T00:00:00.000Z']);
  });

  it('@every takes a Go duration, sub-second allowed, truncated to milliseconds', () => {
    expect(parseSchedule('@every 15s').next(1000)).toBe(16_000);
    expect(parseSchedule('@every 1m30s').next(0)).toBe(90_000);
    expect(parseSchedule('@every 250ms').next(1000.7)).toBe(1250);
    expect(parseSchedule('@every 1500us').next(0)).toBe(1);
    expect(parseSchedule('@every 10ns').next(0)).toBe(1);
  });

  it('evaluates in the TZ= zone', () => {
    // 09:00 in New York (EST, UTC-5) on a January day
    expect(parseSchedule('CRON_TZ=America/New_York 0 9 * * *').next(utc('2026-01-10T00:00:00Z'))).toBe(
      utc('2026-01-10T14:00:00Z'),
    );
    // summer time (EDT, UTC-4)
    expect(parseSchedule('TZ=America/New_York 0 9 * * *').next(utc('2026-07-10T00:00:00Z'))).toBe(
      utc('2026-07-10T13:00:00Z'),
    );
  });

  it.each([
    ['', 'empty spec string'],
    ['* * * *', 'expected 5 to 6 fields, found 4: [* * * *]'],
    ['* * * * * * *', 'expected 5 to 6 fields, found 7: [* * * * * * *]'],
    ['60 * * * * *', 'end of range (60) above maximum (59): 60'],
    ['0 0 0 0 * *', 'beginning of range (0) below minimum (1): 0'],
    ['5-1 * * * *', 'beginning of range (5) beyond end of range (1): 5-1'],
    ['*/0 * * * *', 'step of range should be a positive number: */0'],
    ['1-2-3 * * * *', 'too many hyphens: 1-2-3'],
    ['*/2/3 * * * *', 'too many slashes: */2/3'],
    ['x * * * *', 'failed to parse int from x: invalid syntax'],
    ['* * * * FOO', 'failed to parse int from FOO: invalid syntax'],
    ['@often', 'unrecognized descriptor: @often'],
    ['@every 5', 'failed to parse duration @every 5: time: invalid duration "5"'],
    ['TZ=Mars/Olympus * * * * *', 'provided bad location Mars/Olympus: unknown time zone Mars/Olympus'],
    ['TZ=UTC', 'timezone prefix TZ=UTC is not followed by a schedule'],
  ])('rejects %j: %s', (spec, reason) => {
    expect(() => parseSchedule(spec)).toThrow(reason);
  });
});

describe('component metadata', () => {
  it('names the field with contrib texts', () => {
    expect(() => parseCronSettings({})).toThrow("metadata 'schedule': schedule not set");
    expect(() => parseCronSettings({ schedule: '61 * * * *' })).toThrow(
      "metadata 'schedule': invalid schedule format '61 * * * *': end of range (61) above maximum (59): 61",
    );
    expect(parseCronSettings({ Schedule: '@every 1s', direction: 'input' }).schedule).toBe('@every 1s');
  });
});

describe('Go time text', () => {
  it('prints like time.Now().UTC().String(), trimming the fraction', () => {
    expect(goUtcString(utc('2026-08-21T10:00:00.123Z'))).toBe('2026-08-21 10:00:00.123 +0000 UTC');
    expect(goUtcString(utc('2026-08-21T10:00:00Z'))).toBe('2026-08-21 10:00:00 +0000 UTC');
    expect(goUtcString(utc('2026-08-21T10:00:00.1Z') + 0.5)).toBe('2026-08-21 10:00:00.1005 +0000 UTC');
  });
});
