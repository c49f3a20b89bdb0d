// `pnpm bench [name...]` — runs the benchmark suites (after a build) and prints ops/s side by side with ratios.
// Backends come from scripts/services.sh (a suite whose backend is unreachable says so and is skipped).
import { benchStateMemory } from './state-memory.mjs';
import { benchStateRedis } from './state-redis.mjs';

const suites = { 'state-memory': benchStateMemory, 'state-redis': benchStateRedis };
const wanted = process.argv.slice(2);
for (const [name, run] of Object.entries(suites)) {
  if (wanted.length === 0 || wanted.includes(name)) await run();
}
