/**
 * A bench page for Parley's transport alone: the signaling client and the peer mesh that the app
 * uses, without the room, the log or the UI, so bulk throughput measures the transport (simple-peer's
 * connection, ChannelWriter's backpressure) against a raw RTCDataChannel in the same browser.
 */
import { PeerMesh } from '../../web/transport/peer-mesh.js';
import { createSimplePeerLink } from '../../web/transport/simple-peer-link.js';
import { SignalingClient } from '../../web/transport/signaling-client.js';
import { base64url } from '../../web/security/encoding.js';
import { PROTOCOL_VERSION } from '../../protocol/signaling.js';

interface TransportBench {
  connectedTo: string | undefined;
  receivedBytes: number;
  /** epoch ms when `expectBytes` had all arrived */
  doneAt: number;
  expectBytes: number;
  send(bytes: number, chunkBytes: number): number;
}

const params = new URLSearchParams(location.search);
const now = (): number => performance.timeOrigin + performance.now();
/** Made once the welcome says who this page is (the collision rule needs its id). */
let mesh: PeerMesh | undefined;
const signaling = new SignalingClient(`${location.origin.replace('http', 'ws')}/signal`);
const members = new Set<string>();
/**
 * The transport alone proves nothing to its peer, so no signing key is made: 32 random bytes stand
 * in for its digest, which the server checks only for format.
 */
const keyDigest = base64url(crypto.getRandomValues(new Uint8Array(32)));

const bench: TransportBench = {
  connectedTo: undefined,
  receivedBytes: 0,
  doneAt: 0,
  expectBytes: 0,
  send(bytes, chunkBytes) {
    const to = bench.connectedTo;
    if (!to) throw new Error('not connected');
    const chunk = 'x'.repeat(chunkBytes);
    const started = now();
    for (let sent = 0; sent < bytes; sent += chunkBytes) mesh?.send(to, chunk);
    return started;
  },
};
(window as unknown as { transportBench: TransportBench }).transportBench = bench;

function createMesh(selfId: string): PeerMesh {
  const created = new PeerMesh({ selfId, createLink: createSimplePeerLink });
  created.on('signal', ({ to, data }) => signaling.send({ type: 'signal', to, data }));
  created.on('open', ({ id }) => (bench.connectedTo = id));
  created.on('data', ({ data }) => {
    bench.receivedBytes += typeof data === 'string' ? data.length : 0;
    if (bench.expectBytes > 0 && bench.receivedBytes >= bench.expectBytes && !bench.doneAt) bench.doneAt = now();
  });
  return created;
}
signaling.on('state', ({ state }) => {
  if (state === 'open') {
    signaling.send({ type: 'join', v: PROTOCOL_VERSION, room: params.get('room')!, session: params.get('session')!, key: keyDigest });
  }
});
signaling.on('message', (message) => {
  if (message.type === 'welcome') {
    mesh ??= createMesh(message.id);
    mesh.setIceServers(message.iceServers);
    for (const member of message.members) {
      members.add(member.id);
      mesh.connect(member.id);
    }
  } else if (message.type === 'peer-joined') {
    members.add(message.peer.id);
  } else if (message.type === 'signal') {
    mesh?.handleSignal(message.from, message.data, members.has(message.from));
  }
});
signaling.connect();
