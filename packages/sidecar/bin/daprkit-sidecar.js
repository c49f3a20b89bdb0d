#!/usr/bin/env node
// daprkit-sidecar — a Dapr-compatible sidecar composed from daprkit packages and pluggable sockets.
import module from 'node:module';

// Node >= 22.1 keeps V8's compiled code of every module on disk between starts (os.tmpdir(), or
// NODE_COMPILE_CACHE; NODE_DISABLE_COMPILE_CACHE=1 turns it off). Node 20 has no such cache: a no-op there.
module.enableCompileCache?.();
const { runSidecarCli } = await import('../dist/cli.js');

await runSidecarCli(process.argv.slice(2));
