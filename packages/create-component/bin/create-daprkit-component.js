#!/usr/bin/env node
// npm create @daprkit/component [dir] [--kind state|pubsub|binding|secretstore] [--name NAME] [--package NAME]
import { runCreateCli } from '../dist/index.js';

process.exitCode = await runCreateCli(process.argv.slice(2));
