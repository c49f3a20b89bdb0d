#!/usr/bin/env node
// daprkit-sidecar — a Dapr-compatible sidecar composed from daprkit packages and pluggable sockets.
import { statSync } from 'node:fs';
import module from 'node:module';

// Node >= 22.1 keeps V8's compiled code of every module on disk between starts (os.tmpdir(), or
// NODE_COMPILE_CACHE; NODE_DISABLE_COMPILE_CACHE=1 turns it off). Node 20 has no such cache: a no-op there.
module.enableCompileCache?.();

// dist/bundle/ (scripts/bundle.mjs, part of `pnpm build`) is dist/ in a few chunks: Node 20 loads it faster than
// the ~100 separate modules. It is used unless DAPRKIT_SIDECAR_NO_BUNDLE=1 or a `tsc -b` of this package ran after it
// was built (tsconfig.tsbuildinfo newer: the bundle would be stale; a published package has no build info).
function bundleIsCurrent() {
  if (process.env.DAPRKIT_SIDECAR_NO_BUNDLE === '1') return false;
  let bundled;
  try {
    bundled = statSync(new URL('../dist/bundle/cli.js', import.meta.url)).mtimeMs;
  } catch {
    return false;
  }
  try {
    return bundled >= statSync(new URL('../tsconfig.tsbuildinfo', import.meta.url)).mtimeMs;
  } catch {
    return true;
  }
}

const { runSidecarCli } = await import(bundleIsCurrent() ? '../dist/bundle/cli.js' : '../dist/cli.js');

await runSidecarCli(process.argv.slice(2));
