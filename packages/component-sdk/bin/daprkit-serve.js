#!/usr/bin/env node
// daprkit-serve <package>... — loads component packages by name and serves them on unix sockets.
import { runServeCli } from '../dist/server/cli.js';

await runServeCli(process.argv.slice(2));
