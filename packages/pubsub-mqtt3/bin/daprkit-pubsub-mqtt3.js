#!/usr/bin/env node
// Serves this package's component(s) on a unix socket for daprd: --socket PATH | --socket-folder DIR.
import { runPluginCli } from '@daprkit/component-sdk/server';
import { definitions } from '../dist/index.js';

await runPluginCli(definitions, process.argv.slice(2));
