#!/usr/bin/env node
// daprkit-sidecar — a Dapr-compatible sidecar composed from daprkit packages and pluggable sockets.
import { runSidecarCli } from '../dist/cli.js';

await runSidecarCli(process.argv.slice(2));
