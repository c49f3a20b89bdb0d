// The client test files (and the state/stream server files, which drive the server through the client) again with
// the client on grpc-js (`transport: 'grpc-js'` / DAPRKIT_CLIENT_TRANSPORT=grpc-js), which stays available behind
// the option. The files themselves run the client on the default (daprkit) engine; the server is the default engine
// here, and `server-on-grpc-js.test.ts` covers our client against the grpc-js server.
process.env.DAPRKIT_CLIENT_TRANSPORT = 'grpc-js';

await import('./client-remote.test.js');
await import('./client-restart.test.js');
await import('./client-status.test.js');
await import('./client-delivery.test.js');
await import('./server-state.test.js');
await import('./server-streams.test.js');
