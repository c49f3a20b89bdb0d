// The client test files (and the state/stream server files, which drive the server through the client) again with
// the client on the daprkit engine (`transport: 'daprkit'` / DAPRKIT_CLIENT_TRANSPORT=daprkit); grpc-js stays the
// client's default. The server is the default (daprkit) engine, so this is our client against our server; the
// grpc-js server leg is covered by running the suite with DAPRKIT_TRANSPORT=grpc-js.
process.env.DAPRKIT_CLIENT_TRANSPORT = 'daprkit';

await import('./client-remote.test.js');
await import('./client-restart.test.js');
await import('./client-status.test.js');
await import('./client-delivery.test.js');
await import('./server-state.test.js');
await import('./server-streams.test.js');
