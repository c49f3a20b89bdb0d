// `pnpm bench [name...]` — runs the benchmark suites (after a build) and prints ops/s side by side with ratios.
import { benchStateMemory } from './state-memory.mjs';

const suites = { 'state-memory': benchStateMemory };
const wanted = process.argv.slice(2);
for (const [name, run] of Object.entries(suites)) {
  if (wanted.length === 0 || wanted.includes(name)) await run();
}
