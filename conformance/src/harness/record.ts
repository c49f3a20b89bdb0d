/**
 * The certification record: `<packageDir>/certification/<kind>.json` (machine-readable, gathered by
 * `scripts/certify.mjs` into CERTIFICATION.md) and a `.md` twin for humans reviewing a package.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ComponentDefinition } from '@daprkit/component-sdk';
import type { CaseResult, CaseStatus, Mode } from './types.js';

export const RECORD_SCHEMA = 1;

export interface ModeRecord {
  /** No case failed or was skipped. `not-claimed` and `not-on-wire` do not count against it. */
  certified: boolean;
  counts: Record<CaseStatus, number>;
  cases: Omit<CaseResult, 'mode'>[];
}

export interface CertificationRecord {
  schema: typeof RECORD_SCHEMA;
  package: string;
  version: string;
  componentKind: string;
  daprTypes: string[];
  socketName: string;
  /** Claimed operations, sorted. */
  operations: string[];
  generatedAt: string;
  modes: Partial<Record<Mode, ModeRecord>>;
}

const STATUSES: CaseStatus[] = ['passed', 'failed', 'not-claimed', 'not-on-wire', 'skipped'];

export function buildRecord(
  definition: ComponentDefinition,
  operations: readonly string[],
  results: readonly CaseResult[],
  now = new Date(),
): CertificationRecord {
  const modes: Partial<Record<Mode, ModeRecord>> = {};
  for (const result of results) {
    const record = modes[result.mode] ?? {
      certified: true,
      counts: Object.fromEntries(STATUSES.map((s) => [s, 0])) as Record<CaseStatus, number>,
      cases: [],
    };
    modes[result.mode] = record;
    const { mode: _mode, ...rest } = result;
    record.cases.push(rest);
    record.counts[result.status]++;
    if (result.status === 'failed' || result.status === 'skipped') record.certified = false;
  }
  return {
    schema: RECORD_SCHEMA,
    package: definition.packageName,
    version: definition.version,
    componentKind: definition.kind,
    daprTypes: [...definition.types],
    socketName: definition.socketName,
    operations: [...operations].sort(),
    generatedAt: now.toISOString(),
    modes,
  };
}

const cell = (text: string | undefined) => (text ?? '').replaceAll('|', '\\|').replaceAll('\n', ' ');

export function renderRecordMarkdown(record: CertificationRecord): string {
  const lines = [
    `# ${record.package} ${record.version} — ${record.componentKind} conformance`,
    '',
    `Dapr types: ${record.daprTypes.map((t) => `\`${t}\``).join(', ') || '–'}  `,
    `Claimed operations: ${record.operations.map((o) => `\`${o}\``).join(', ') || '–'}  `,
    `Generated: ${record.generatedAt}`,
  ];
  for (const [mode, modeRecord] of Object.entries(record.modes)) {
    const counts = STATUSES.filter((s) => modeRecord.counts[s] > 0).map((s) => `${modeRecord.counts[s]} ${s}`);
    lines.push('', `## ${mode}: ${modeRecord.certified ? 'certified' : 'NOT certified'} (${counts.join(', ')})`, '');
    lines.push('| Case | Title | Status | Details |', '|---|---|---|---|');
    for (const c of modeRecord.cases) {
      lines.push(`| ${c.id} | ${cell(c.title)} | ${c.status} | ${cell(c.error ?? c.note)} |`);
    }
  }
  return `${lines.join('\n')}\n`;
}

export async function writeCertificationRecord(packageDir: string | URL, record: CertificationRecord): Promise<string> {
  const dir = join(typeof packageDir === 'string' ? packageDir : fileURLToPath(packageDir), 'certification');
  await mkdir(dir, { recursive: true });
  const base = join(dir, record.componentKind);
  await writeFile(`${base}.json`, `${JSON.stringify(record, null, 2)}\n`);
  await writeFile(`${base}.md`, renderRecordMarkdown(record));
  return `${base}.json`;
}
