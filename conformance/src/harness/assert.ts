/** Assertions that throw plain Errors with a readable message, so cases run without a test framework. */
import { isDeepStrictEqual } from 'node:util';

export class ConformanceFailure extends Error {
  override name = 'ConformanceFailure';
}

export function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new ConformanceFailure(message);
}

export function fail(message: string): never {
  throw new ConformanceFailure(message);
}

export function describeValue(value: unknown): string {
  if (value instanceof Uint8Array) return `bytes[${value.length}] ${JSON.stringify(new TextDecoder().decode(value))}`;
  if (value === undefined) return 'undefined';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

export function checkEqual(actual: unknown, expected: unknown, what: string): void {
  if (!isDeepStrictEqual(actual, expected)) {
    fail(`${what}: expected ${describeValue(expected)}, got ${describeValue(actual)}`);
  }
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Runs `action` and returns what it threw; fails when it resolves. */
export async function expectRejection(action: () => Promise<unknown>, what: string): Promise<unknown> {
  try {
    await action();
  } catch (err) {
    return err;
  }
  fail(`${what}: expected an error, but the call succeeded`);
}

/** Runs `action`, turning a throw into a failure that names the step. */
export async function step<T>(what: string, action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (err) {
    if (err instanceof ConformanceFailure) throw err;
    throw new ConformanceFailure(`${what}: unexpected error: ${errorText(err)}`, { cause: err });
  }
}

export const isEmptyBytes = (data: Uint8Array | undefined | null): boolean =>
  data === undefined || data === null || data.length === 0;
export const isEmptyText = (text: string | undefined | null): boolean =>
  text === undefined || text === null || text === '';

export const sortedNumbersText = (values: Iterable<number>): string =>
  JSON.stringify([...values].sort((a, b) => a - b));
