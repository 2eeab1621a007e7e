// A free TCP port on loopback, found by binding port 0 and letting go. Another process may take it
// before the caller binds it; callers that can, retry.
import { createServer } from 'node:net';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** A free UDP port on loopback, found the same way (and with the same caveat). */
export async function freeUdpPort(): Promise<number> {
  const { createSocket } = await import('node:dgram');
  return new Promise((resolve, reject) => {
    const probe = createSocket('udp4');
    probe.once('error', reject);
    probe.bind(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}
