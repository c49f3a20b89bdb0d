#!/usr/bin/env node
// Generates proto/runtime.json: the Dapr runtime API protos (dapr.proto, appcallback.proto, the internal
// sidecar-to-sidecar service_invocation.proto and what they import),
// parsed once here so that the sidecar does not parse .proto text at every start (src/shared/runtime-proto.ts).
// Run after changing anything under proto/: `node packages/sidecar/scripts/runtime-proto-json.mjs`;
// test/runtime-proto.test.ts fails while the committed file is stale.
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const protobuf = require('protobufjs');
const PROTO_ROOT = fileURLToPath(new URL('../proto/', import.meta.url));
export const RUNTIME_PROTO_FILES = [
  'dapr/proto/runtime/v1/dapr.proto',
  'dapr/proto/runtime/v1/appcallback.proto',
  'dapr/proto/internals/v1/service_invocation.proto',
];

/** The JSON text of the parsed protos; field names kept as written (`keepCase`, as the sidecar's wire shapes use). */
export function runtimeProtoJson() {
  const root = new protobuf.Root();
  // Every import from proto/ (google/protobuf included), as proto-loader's includeDirs resolved them.
  root.resolvePath = (_origin, target) => PROTO_ROOT + target;
  root.loadSync(RUNTIME_PROTO_FILES, { keepCase: true });
  root.resolveAll();
  return `${JSON.stringify(root.toJSON({ keepComments: false }))}\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(new URL('../proto/runtime.json', import.meta.url), runtimeProtoJson());
}
