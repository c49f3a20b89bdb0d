import {
  defineComponent,
  field,
  formatDuration,
  METADATA_TABLE_END,
  METADATA_TABLE_START,
  renderMetadataTable,
  renderMetadataYaml,
  replaceMetadataTable,
} from '@daprkit/component-sdk';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const schema = {
  host: field.string({ required: true, description: 'Where | to connect.' }),
  password: field.string({ secret: true, aliases: ['pass'] }),
  timeout: field.duration({ default: 90_000 }),
  mode: field.enum({ values: ['a', 'b'], default: 'a' }),
};

describe('metadata docs', () => {
  it('formats durations the way YAML users write them', () => {
    expect([0, 500, 1000, 90_000, 3_600_000, 3_661_000, 1500].map(formatDuration)).toEqual([
      '0s',
      '500ms',
      '1s',
      '1m30s',
      '1h',
      '1h1m1s',
      '1500ms',
    ]);
  });

  it('renders one row per field with required, secret, aliases, defaults and escaped pipes', () => {
    const table = renderMetadataTable(schema).split('\n');
    expect(table).toHaveLength(2 + 4);
    expect(table[2]).toMatch(/^\| `host` +\| string +\| – +\| \*\*Required\.\*\* Where \\\| to connect\. +\|$/);
    expect(new Set(table.map((row) => row.length)).size).toBe(1);
    expect(table[3]).toContain('Secret (never logged). Also accepted as `pass`.');
    expect(table[4]).toContain('`1m30s`');
    expect(table[5]).toContain('a \\| b');
  });

  it('rewrites only the block between the markers, and refuses a README without them', () => {
    const readme = `# x\n\nbefore\n\n${METADATA_TABLE_START}\nold\n${METADATA_TABLE_END}\n\nafter\n`;
    const out = replaceMetadataTable(readme, schema);
    expect(out.startsWith('# x\n\nbefore\n\n')).toBe(true);
    expect(out.endsWith(`${METADATA_TABLE_END}\n\nafter\n`)).toBe(true);
    expect(out).not.toContain('old');
    expect(replaceMetadataTable(out, schema)).toBe(out);
    expect(() => replaceMetadataTable('# no markers', schema)).toThrow(/metadata-table:start/);
  });

  it('writes metadata.yaml in components-contrib format that parses back', () => {
    const definition = defineComponent({
      kind: 'outputBinding',
      socketName: 'daprkit-x',
      types: ['bindings.x'],
      packageName: '@acme/bindings-x',
      version: '1.0.0',
      create: () =>
        ({
          async init() {},
          async invoke() {
            return {};
          },
          operations: () => [],
        }) as never,
    });
    const doc = parse(renderMetadataYaml([definition], schema, { title: 'X' }));
    expect(doc).toMatchObject({ schemaVersion: 'v1', type: 'bindings', name: 'x', version: 'v1', title: 'X' });
    expect(doc.binding).toEqual({ input: false, output: true });
    expect(doc.metadata).toEqual([
      { name: 'host', required: true, type: 'string', description: 'Where | to connect.' },
      { name: 'password', sensitive: true, type: 'string', description: 'Also accepted as pass.' },
      { name: 'timeout', type: 'duration', description: '', default: '1m30s' },
      { name: 'mode', type: 'string', description: '', default: 'a', allowedValues: ['a', 'b'] },
    ]);
  });
});
