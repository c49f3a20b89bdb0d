/**
 * A local HTTP server and an HTTPS server (CA, server and client certificates made with openssl for this run)
 * that record what they receive and answer as the request asks (`/status/<n>`, `/size/<n>`, `/slow/<ms>`, …).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Received {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  rawHeaders: string[];
  body: string;
  clientCertSubject?: string;
}

function handler(received: Received[]) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const socket = req.socket as { getPeerCertificate?: () => { subject?: { CN?: string } } };
      const peer = socket.getPeerCertificate?.();
      received.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        rawHeaders: req.rawHeaders,
        body: Buffer.concat(chunks).toString(),
        clientCertSubject: peer?.subject?.CN,
      });
      const url = req.url ?? '/';
      const status = /^\/status\/(\d+)/.exec(url);
      const size = /^\/size\/(\d+)/.exec(url);
      const slow = /^\/slow\/(\d+)/.exec(url);
      if (slow) {
        setTimeout(() => res.end('late'), Number(slow[1]));
        return;
      }
      if (size) {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        res.end(Buffer.alloc(Number(size[1]), 'x'));
        return;
      }
      res.setHeader('x-multi', ['a', 'b']);
      res.setHeader('content-type', 'text/plain');
      res.writeHead(status ? Number(status[1]) : 200);
      res.end(req.method === 'HEAD' ? undefined : `echo:${req.method}:${Buffer.concat(chunks).toString()}`);
    });
  };
}

export interface TestServers {
  httpUrl: string;
  httpsUrl: string;
  mtlsUrl: string;
  received: Received[];
  pki: { dir: string; ca: string; clientCert: string; clientKey: string; caPath: string };
  close(): Promise<void>;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: 'pipe' });
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

/** A CA, a server certificate for 127.0.0.1/localhost and a client certificate, all signed by the CA. */
function makePki(): TestServers['pki'] & { serverCert: string; serverKey: string } {
  const dir = mkdtempSync(join(tmpdir(), 'dk-http-pki-'));
  openssl(
    ['req', '-x509', ...EC, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=daprkit test CA'],
    dir,
  );
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  writeFileSync(join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
  for (const name of ['server', 'client']) {
    openssl(['req', ...EC, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=daprkit-${name}`], dir);
    openssl(
      [
        'x509',
        '-req',
        '-in',
        `${name}.csr`,
        '-CA',
        'ca.pem',
        '-CAkey',
        'ca.key',
        '-CAcreateserial',
        '-days',
        '2',
        '-out',
        `${name}.pem`,
        '-extfile',
        `${name}.ext`,
      ],
      dir,
    );
  }
  const read = (f: string) => readFileSync(join(dir, f), 'utf8');
  return {
    dir,
    ca: read('ca.pem'),
    caPath: join(dir, 'ca.pem'),
    clientCert: read('client.pem'),
    clientKey: read('client.key'),
    serverCert: read('server.pem'),
    serverKey: read('server.key'),
  };
}

const listen = (server: Server | TlsServer) =>
  new Promise<number>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  );

export async function startTestServers(): Promise<TestServers> {
  const received: Received[] = [];
  const pki = makePki();
  const plain = createServer(handler(received));
  const tls = createTlsServer({ cert: pki.serverCert, key: pki.serverKey }, handler(received));
  const mtls = createTlsServer(
    { cert: pki.serverCert, key: pki.serverKey, ca: pki.ca, requestCert: true, rejectUnauthorized: true },
    handler(received),
  );
  const [p1, p2, p3] = await Promise.all([listen(plain), listen(tls), listen(mtls)]);
  return {
    httpUrl: `http://127.0.0.1:${p1}`,
    httpsUrl: `https://127.0.0.1:${p2}`,
    mtlsUrl: `https://127.0.0.1:${p3}`,
    received,
    pki,
    close: async () => {
      for (const s of [plain, tls, mtls]) {
        s.closeAllConnections();
        await new Promise((r) => s.close(r));
      }
    },
  };
}
