// The server test files again on the grpc-js engine (`transport: 'grpc-js'`), which stays available behind the
// option and DAPRKIT_TRANSPORT. The files themselves run on the default engine.
process.env.DAPRKIT_TRANSPORT = 'grpc-js';

await import('./server-state.test.js');
await import('./server-streams.test.js');
await import('./server-errors.test.js');
await import('./server-reflection.test.js');
await import('./server-sockets.test.js');
