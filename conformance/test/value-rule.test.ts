/** conformance.md §1.2's value comparison, which every state "equals" check relies on. */
import { describe, expect, it } from 'vitest';
import { checkStateValue } from '../src/state/fixtures.js';

const bytes = (text: string) => new TextEncoder().encode(text);
const accepts = (data: Uint8Array | undefined, expected: unknown) =>
  expect(() => checkStateValue(data, expected, 'v')).not.toThrow();
const rejects = (data: Uint8Array | undefined, expected: unknown) =>
  expect(() => checkStateValue(data, expected, 'v')).toThrow();

describe('the state value rule', () => {
  it('wants integers as JSON integer literals', () => {
    accepts(bytes('123'), 123);
    rejects(bytes('123.0'), 123);
    rejects(bytes('"123"'), 123);
    rejects(bytes('124'), 123);
  });

  it('keeps strings quoted and distinct from the JSON they contain', () => {
    accepts(bytes('"hello world"'), 'hello world');
    accepts(bytes('""'), '');
    accepts(bytes('"{\\"a\\":\\"b\\"}"'), '{"a":"b"}');
    rejects(bytes('{"a":"b"}'), '{"a":"b"}');
    rejects(bytes('hello world'), 'hello world');
    rejects(undefined, '');
  });

  it('compares bytes exactly and objects deeply', () => {
    accepts(new Uint8Array([1]), new Uint8Array([1]));
    rejects(new Uint8Array([1, 0]), new Uint8Array([1]));
    accepts(bytes('{"b":1,"a":{"c":true}}'), { a: { c: true }, b: 1 });
    rejects(bytes('{"a":{"c":true}}'), { a: { c: true }, b: 1 });
    rejects(bytes('{"a":{"c":true},"b":1,"extra":0}'), { a: { c: true }, b: 1 });
    accepts(bytes('true'), true);
    rejects(bytes('"true"'), true);
  });

  it('treats absent and empty data as "nothing"', () => {
    accepts(undefined, undefined);
    accepts(new Uint8Array(), undefined);
    rejects(bytes('1'), undefined);
  });
});
