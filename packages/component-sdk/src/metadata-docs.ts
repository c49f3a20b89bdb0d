/**
 * Documentation generated from a metadata schema, so it cannot drift from what `parseMetadata` accepts:
 * the README table of a component package and its `metadata.yaml` in components-contrib's format
 * (read by Dapr's docs tooling).
 */
import type { Field, MetadataSchema } from './metadata.js';
import { type ComponentDefinition, typeCategoryOf } from './v1/definition.js';

/** Markers around the generated table in a README; everything between them is rewritten. */
export const METADATA_TABLE_START = '<!-- metadata-table:start (generated from the schema: pnpm docs) -->';
export const METADATA_TABLE_END = '<!-- metadata-table:end -->';

// biome-ignore lint/suspicious/noExplicitAny: a schema holds fields of any option shape
type AnyField = Field<unknown, any>;

/** Milliseconds as a Go duration (`10s`, `1m30s`, `500ms`), the way users write them in YAML. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  if (!Number.isInteger(ms) || ms % 1000 !== 0) return `${ms}ms`;
  let s = ms / 1000;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  return `${h ? `${h}h` : ''}${m ? `${m}m` : ''}${s ? `${s}s` : ''}`;
}

function formatDefault(f: AnyField): string | undefined {
  const value = f.options.default as unknown;
  if (value === undefined) return undefined;
  if (f.kind === 'duration' && typeof value === 'number') return formatDuration(value);
  if (Array.isArray(value)) return value.join(',');
  return String(value);
}

function typeLabel(f: AnyField): string {
  if (f.kind === 'enum') return (f.options.values as readonly string[]).join(' \\| ');
  if (f.kind === 'byteSize') return 'byte size';
  return f.kind;
}

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');

/** A Markdown table: every field with its type, default, whether it is required or secret, aliases and description. */
export function renderMetadataTable(schema: MetadataSchema): string {
  const rows = Object.entries(schema).map(([name, f]) => {
    const def = formatDefault(f);
    const notes = [
      f.options.required ? '**Required.**' : '',
      f.options.secret ? 'Secret (never logged).' : '',
      f.options.aliases?.length
        ? `Also accepted as ${f.options.aliases.map((a: string) => `\`${a}\``).join(', ')}.`
        : '',
      f.options.description ?? '',
    ].filter(Boolean);
    return [
      `\`${name}\``,
      typeLabel(f),
      def === undefined || def === '' ? '–' : `\`${cell(def)}\``,
      cell(notes.join(' ')) || '–',
    ];
  });
  return alignTable(['Name', 'Type', 'Default', 'Description'], rows);
}

/** Columns padded to their widest cell, as the repository's formatter (biome) lays Markdown tables out. */
function alignTable(header: string[], rows: string[][]): string {
  const width = (text: string) => [...text].length;
  const widths = header.map((h, i) => Math.max(3, width(h), ...rows.map((r) => width(r[i]!))));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c + ' '.repeat(widths[i]! - width(c))).join(' | ')} |`;
  return [line(header), `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`, ...rows.map(line)].join('\n');
}

/** Rewrites the text between the markers of `readme` with the table; throws when the markers are missing. */
export function replaceMetadataTable(readme: string, schema: MetadataSchema): string {
  const start = readme.indexOf(METADATA_TABLE_START);
  const end = readme.indexOf(METADATA_TABLE_END);
  if (start < 0 || end < start)
    throw new Error(`README has no '${METADATA_TABLE_START}' ... '${METADATA_TABLE_END}' block`);
  return `${readme.slice(0, start + METADATA_TABLE_START.length)}\n\n${renderMetadataTable(schema)}\n\n${readme.slice(end)}`;
}

const CONTRIB_TYPES: Record<string, string> = {
  string: 'string',
  int: 'number',
  number: 'number',
  bool: 'bool',
  duration: 'duration',
  byteSize: 'bytesize',
  enum: 'string',
  list: 'string',
};

/** JSON strings are valid YAML scalars: quote everything the same way, nothing to escape by hand. */
const q = (text: string) => JSON.stringify(text);

/**
 * `metadata.yaml` in components-contrib's format (schemaVersion v1) for a package's definitions (one Dapr
 * component: an input and an output binding of one package share it) and their schema. `name` is the Dapr type
 * without its category (`state.redis` → `redis`); the status is daprkit's own.
 */
export function renderMetadataYaml(
  definitions: readonly Pick<ComponentDefinition, 'kind' | 'types' | 'packageName' | 'version'>[],
  schema: MetadataSchema,
  options: { title?: string; description?: string; status?: 'alpha' | 'beta' | 'stable' } = {},
): string {
  const first = definitions[0];
  if (first === undefined) throw new Error('renderMetadataYaml: no definitions');
  const category = typeCategoryOf[first.kind];
  const type = first.types.find((t) => t.startsWith(`${category}.`)) ?? `${category}.${first.packageName}`;
  const name = type.slice(category.length + 1);
  const kinds = new Set(definitions.map((d) => d.kind));
  const lines = [
    '# Generated from the package metadata schema (pnpm docs); components-contrib metadata format.',
    'schemaVersion: v1',
    `type: ${category}`,
    `name: ${q(name)}`,
    'version: v1',
    `status: ${options.status ?? 'alpha'}`,
    `title: ${q(options.title ?? name)}`,
    ...(options.description ? [`description: ${q(options.description)}`] : []),
    'urls:',
    '  - title: Reference',
    `    url: ${q(`https://www.npmjs.com/package/${first.packageName}`)}`,
    ...(category === 'bindings'
      ? ['binding:', `  input: ${kinds.has('inputBinding')}`, `  output: ${kinds.has('outputBinding')}`]
      : []),
    'metadata:',
  ];
  for (const [field, f] of Object.entries(schema)) {
    lines.push(`  - name: ${q(field)}`);
    if (f.options.required) lines.push('    required: true');
    if (f.options.secret) lines.push('    sensitive: true');
    lines.push(`    type: ${CONTRIB_TYPES[f.kind] ?? 'string'}`);
    const aliases = f.options.aliases?.length
      ? ` Also accepted as ${(f.options.aliases as readonly string[]).join(', ')}.`
      : '';
    lines.push(`    description: ${q(`${f.options.description ?? ''}${aliases}`.trim())}`);
    const def = formatDefault(f);
    if (def !== undefined && def !== '') lines.push(`    default: ${q(def)}`);
    if (f.kind === 'enum') {
      lines.push('    allowedValues:');
      for (const v of f.options.values as readonly string[]) lines.push(`      - ${q(v)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
