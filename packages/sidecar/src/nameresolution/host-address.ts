/**
 * The address this sidecar announces (spec sidecar-wave2 §1.3, utils/host.go): DAPR_HOST_IP, else the local
 * address the kernel picks for a UDP "dial" to 192.0.2.1:80 (then [2001:db8::1]:80), else the best interface
 * address (public IPv4 > IPv6 global > private IPv4 > IPv6 ULA > link-local). No packet is sent.
 */
import { createSocket } from 'node:dgram';
import { networkInterfaces } from 'node:os';

function dialAddress(type: 'udp4' | 'udp6', target: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = createSocket(type);
    const done = (address: string | undefined) => {
      socket.close();
      resolve(address);
    };
    socket.once('error', () => done(undefined));
    socket.connect(80, target, () => {
      try {
        done(socket.address().address);
      } catch {
        done(undefined);
      }
    });
  });
}

function rank(address: string, family: string): number {
  if (family === 'IPv4') {
    if (/^(10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.)/.test(address)) return 2;
    if (address.startsWith('169.254.')) return 4;
    return 0;
  }
  if (/^f[cd]/i.test(address)) return 3;
  if (/^fe80/i.test(address)) return 4;
  return 1;
}

export async function hostAddress(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  if (env.DAPR_HOST_IP) return env.DAPR_HOST_IP;
  const dialled = (await dialAddress('udp4', '192.0.2.1')) ?? (await dialAddress('udp6', '2001:db8::1'));
  if (dialled !== undefined && dialled !== '0.0.0.0' && dialled !== '::') return dialled;
  const candidates = Object.values(networkInterfaces())
    .flat()
    .filter((i) => i !== undefined && !i.internal)
    .map((i) => ({ address: i!.address, rank: rank(i!.address, i!.family) }))
    .sort((a, b) => a.rank - b.rank);
  return candidates[0]?.address ?? '127.0.0.1';
}
