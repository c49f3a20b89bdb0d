/**
 * Cron schedules with dapr/kit's semantics (its fork of robfig/cron v3, parser options
 * SecondOptional | Minute | Hour | Dom | Month | Dow | Descriptor): 5 fields, or 6 with a leading seconds field;
 * `*`/`?`, ranges, steps, lists, month and weekday names; `@yearly` … `@hourly`, `@every <Go duration>` (not
 * rounded up to a second: millisecond resolution, as the fork); an optional `TZ=<zone> ` / `CRON_TZ=<zone> ` prefix.
 * Error texts are the fork's, so `invalid schedule format '<s>': <reason>` reads the same as contrib's.
 */
import { parseGoDurationMs } from '@daprkit/component-sdk';

/** A parsed schedule: the next activation strictly after `after` (epoch ms). */
export interface Schedule {
  next(after: number): number;
}

interface Bounds {
  min: number;
  max: number;
  names?: Record<string, number>;
}

const SECONDS: Bounds = { min: 0, max: 59 };
const MINUTES: Bounds = { min: 0, max: 59 };
const HOURS: Bounds = { min: 0, max: 23 };
const DOM: Bounds = { min: 1, max: 31 };
const MONTHS: Bounds = {
  min: 1,
  max: 12,
  names: { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12 },
};
const DOW: Bounds = { min: 0, max: 6, names: { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 } };

/** A field: the allowed values, plus whether it was written as `*`/`?` (robfig's star bit). */
interface FieldSet {
  values: Set<number>;
  star: boolean;
}

export class ScheduleError extends Error {
  override name = 'ScheduleError';
}

function parseIntOrName(expr: string, bounds: Bounds): number {
  const named = bounds.names?.[expr.toLowerCase()];
  if (named !== undefined) return named;
  return mustParseInt(expr);
}

function mustParseInt(expr: string): number {
  if (!/^[-+]?\d+$/.test(expr)) throw new ScheduleError(`failed to parse int from ${expr}: invalid syntax`);
  const n = Number(expr);
  if (n < 0) throw new ScheduleError(`negative number (${n}) not allowed: ${expr}`);
  return n;
}

function getRange(expr: string, bounds: Bounds, into: FieldSet): void {
  const rangeAndStep = expr.split('/');
  const lowAndHigh = rangeAndStep[0]!.split('-');
  const single = lowAndHigh.length === 1;
  let start: number;
  let end: number;
  let star = false;
  if (lowAndHigh[0] === '*' || lowAndHigh[0] === '?') {
    start = bounds.min;
    end = bounds.max;
    star = true;
  } else {
    start = parseIntOrName(lowAndHigh[0]!, bounds);
    if (lowAndHigh.length === 1) end = start;
    else if (lowAndHigh.length === 2) end = parseIntOrName(lowAndHigh[1]!, bounds);
    else throw new ScheduleError(`too many hyphens: ${expr}`);
  }
  let step = 1;
  if (rangeAndStep.length === 2) {
    step = mustParseInt(rangeAndStep[1]!);
    if (single) end = bounds.max; // "N/step" means "N-max/step"
    if (step > 1) star = false;
  } else if (rangeAndStep.length > 2) {
    throw new ScheduleError(`too many slashes: ${expr}`);
  }
  if (start < bounds.min)
    throw new ScheduleError(`beginning of range (${start}) below minimum (${bounds.min}): ${expr}`);
  if (end > bounds.max) throw new ScheduleError(`end of range (${end}) above maximum (${bounds.max}): ${expr}`);
  if (start > end) throw new ScheduleError(`beginning of range (${start}) beyond end of range (${end}): ${expr}`);
  if (step === 0) throw new ScheduleError(`step of range should be a positive number: ${expr}`);
  for (let i = start; i <= end; i += step) into.values.add(i);
  if (star) into.star = true;
}

function getField(text: string, bounds: Bounds): FieldSet {
  const set: FieldSet = { values: new Set(), star: false };
  for (const expr of text.split(',').filter((e) => e !== '')) getRange(expr, bounds, set);
  return set;
}

const all = (bounds: Bounds): FieldSet => getField('*', bounds);
const only = (value: number): FieldSet => ({ values: new Set([value]), star: false });

/** Wall-clock fields of an instant in a zone (`undefined` = the process's local zone). */
interface Wall {
  year: number;
  month: number; // 1-12
  day: number;
  hour: number;
  minute: number;
  second: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function wallOf(ms: number, zone: string | undefined): Wall {
  if (zone === undefined) {
    const d = new Date(ms);
    return {
      year: d.getFullYear(),
      month: d.getMonth() + 1,
      day: d.getDate(),
      hour: d.getHours(),
      minute: d.getMinutes(),
      second: d.getSeconds(),
    };
  }
  let f = formatters.get(zone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(zone, f);
  }
  const parts: Record<string, number> = {};
  for (const p of f.formatToParts(new Date(ms))) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  return {
    year: parts.year!,
    month: parts.month!,
    day: parts.day!,
    hour: parts.hour!,
    minute: parts.minute!,
    second: parts.second!,
  };
}

/** The instant of a wall-clock time in a zone (a nonexistent DST-gap time lands just after the gap). */
function instantOf(w: Wall, zone: string | undefined): number {
  if (zone === undefined) return new Date(w.year, w.month - 1, w.day, w.hour, w.minute, w.second).getTime();
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  let guess = asUtc;
  for (let i = 0; i < 3; i++) {
    const seen = wallOf(guess, zone);
    const seenUtc = Date.UTC(seen.year, seen.month - 1, seen.day, seen.hour, seen.minute, seen.second);
    const delta = asUtc - seenUtc;
    if (delta === 0) break;
    guess += delta;
  }
  return guess;
}

const daysIn = (year: number, month: number) => new Date(Date.UTC(year, month, 0)).getUTCDate();
const weekday = (w: Wall) => new Date(Date.UTC(w.year, w.month - 1, w.day)).getUTCDay();

/** Carries overflowing fields upwards (61 seconds → next minute, day 32 → next month, …). */
function normalize(w: Wall): void {
  if (w.second > 59) {
    w.second = 0;
    w.minute++;
  }
  if (w.minute > 59) {
    w.minute = 0;
    w.hour++;
  }
  if (w.hour > 23) {
    w.hour = 0;
    w.day++;
  }
  if (w.day > daysIn(w.year, w.month)) {
    w.day = 1;
    w.month++;
  }
  if (w.month > 12) {
    w.month = 1;
    w.year++;
  }
}

class SpecSchedule implements Schedule {
  constructor(
    private readonly second: FieldSet,
    private readonly minute: FieldSet,
    private readonly hour: FieldSet,
    private readonly dom: FieldSet,
    private readonly month: FieldSet,
    private readonly dow: FieldSet,
    private readonly zone: string | undefined,
  ) {}

  /** robfig's rule: if either day field is `*`, both must match; otherwise either may. */
  private dayMatches(w: Wall): boolean {
    const domMatch = this.dom.values.has(w.day);
    const dowMatch = this.dow.values.has(weekday(w));
    return this.dom.star || this.dow.star ? domMatch && dowMatch : domMatch || dowMatch;
  }

  next(after: number): number {
    // Start at the next whole second, then walk the fields from the largest down, as robfig does.
    const start = Math.floor(after / 1000) * 1000 + 1000;
    const w = wallOf(start, this.zone);
    const limitYear = w.year + 5;
    for (;;) {
      normalize(w);
      if (w.year > limitYear) return Number.POSITIVE_INFINITY;
      if (!this.month.values.has(w.month)) {
        w.month++;
        w.day = 1;
        w.hour = 0;
        w.minute = 0;
        w.second = 0;
        continue;
      }
      if (!this.dayMatches(w)) {
        w.day++;
        w.hour = 0;
        w.minute = 0;
        w.second = 0;
        continue;
      }
      if (!this.hour.values.has(w.hour)) {
        w.hour++;
        w.minute = 0;
        w.second = 0;
        continue;
      }
      if (!this.minute.values.has(w.minute)) {
        w.minute++;
        w.second = 0;
        continue;
      }
      if (!this.second.values.has(w.second)) {
        w.second++;
        continue;
      }
      const at = instantOf(w, this.zone);
      if (at > after) return at;
      w.second++;
    }
  }
}

/** `@every d`: d truncated to whole milliseconds (at least 1 ms); the next run is `after + d`, on the millisecond. */
class ConstantDelay implements Schedule {
  constructor(readonly delayMs: number) {}
  next(after: number): number {
    return Math.floor(after) + this.delayMs;
  }
}

const DESCRIPTORS: Record<string, () => FieldSet[]> = {
  '@yearly': () => [only(0), only(0), only(0), only(1), only(1), all(DOW)],
  '@annually': () => [only(0), only(0), only(0), only(1), only(1), all(DOW)],
  '@monthly': () => [only(0), only(0), only(0), only(1), all(MONTHS), all(DOW)],
  '@weekly': () => [only(0), only(0), only(0), all(DOM), all(MONTHS), only(0)],
  '@daily': () => [only(0), only(0), only(0), all(DOM), all(MONTHS), all(DOW)],
  '@midnight': () => [only(0), only(0), only(0), all(DOM), all(MONTHS), all(DOW)],
  '@hourly': () => [only(0), only(0), all(HOURS), all(DOM), all(MONTHS), all(DOW)],
};

function checkZone(zone: string): void {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
  } catch {
    throw new ScheduleError(`provided bad location ${zone}: unknown time zone ${zone}`);
  }
}

/** Parses a schedule; throws ScheduleError with the fork's reason text. */
export function parseSchedule(input: string): Schedule {
  let spec = input;
  if (spec.length === 0) throw new ScheduleError('empty spec string');
  let zone: string | undefined;
  if (spec.startsWith('TZ=') || spec.startsWith('CRON_TZ=')) {
    const space = spec.search(/\s/);
    if (space === -1) throw new ScheduleError(`timezone prefix ${spec} is not followed by a schedule`);
    zone = spec.slice(spec.indexOf('=') + 1, space);
    checkZone(zone);
    if (zone === 'Local') zone = undefined;
    spec = spec.slice(space).trim();
  }
  if (spec.startsWith('@')) {
    const fields = DESCRIPTORS[spec];
    if (fields !== undefined) {
      const [s, m, h, d, mo, w] = fields();
      return new SpecSchedule(s!, m!, h!, d!, mo!, w!, zone);
    }
    const every = '@every ';
    if (spec.startsWith(every)) {
      const text = spec.slice(every.length);
      const ms = parseGoDurationMs(text);
      if (ms === undefined)
        throw new ScheduleError(`failed to parse duration ${spec}: time: invalid duration "${text}"`);
      return new ConstantDelay(Math.max(1, Math.trunc(ms)));
    }
    throw new ScheduleError(`unrecognized descriptor: ${spec}`);
  }
  const fields = spec.split(/\s+/).filter((f) => f !== '');
  if (fields.length < 5 || fields.length > 6) {
    throw new ScheduleError(`expected 5 to 6 fields, found ${fields.length}: [${fields.join(' ')}]`);
  }
  if (fields.length === 5) fields.unshift('0');
  return new SpecSchedule(
    getField(fields[0]!, SECONDS),
    getField(fields[1]!, MINUTES),
    getField(fields[2]!, HOURS),
    getField(fields[3]!, DOM),
    getField(fields[4]!, MONTHS),
    getField(fields[5]!, DOW),
    zone,
  );
}
