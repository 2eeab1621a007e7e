// What the signaling server learns of a chat, checked on the real thing: the built server in its own
// process (as an operator runs it), logging at debug level, and three headless rooms in this
// process chatting through it over real WebRTC. Afterwards neither its logs nor a heap snapshot of
// its memory may hold the room key, a display name, chat text, SDP, DTLS fingerprints, ICE
// candidates or credentials, or a session secret once its join is done (docs/security.md, "What
// the server can still learn"). The room id, which the server is meant to know, is looked for too,
// to show that the search finds what is there.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { RTCPeerConnection as NodePeerConnection } from 'webrtc-polyfill';
import { ParleyRoom } from '../../web/room/room.js';
import { createRoomKey } from '../../web/security/room-keys.js';
import { ephemeralIdentity, type SessionIdentity } from '../../web/room/session-identity.js';
import { startServerProcess, type ServerProcess } from '../support/server-process.js';
import { linkTap, type LinkTap } from '../support/link-tap.js';
import { readHeapSnapshot, waitForSnapshotFile, type HeapSnapshot } from '../support/heap-snapshot.js';
import { allConnected, until, untilRoom } from '../support/room-waits.js';

// As in room.test.ts: one idle connection for the whole file keeps node-datachannel's threads up.
let anchor: NodePeerConnection;
beforeAll(() => {
  anchor = new NodePeerConnection();
});
afterAll(() => anchor.close());

// What the test cleans up itself, again here in case it timed out before its `finally` ran.
let leftover: { child?: ChildProcess; cwd?: string; rooms?: ParleyRoom[] } = {};
afterEach(() => {
  for (const room of leftover.rooms ?? []) room.close();
  if (leftover.child?.exitCode === null) leftover.child.kill('SIGKILL');
  if (leftover.cwd) rmSync(leftover.cwd, { recursive: true, force: true });
  leftover = {};
});

/** The server as an operator starts it, logging everything, plus a heap snapshot on SIGUSR2, written into `cwd`. */
function startServerWithHeapSnapshots(cwd: string): Promise<ServerProcess> {
  // Strings are cut at 1024 characters in a snapshot by default; keep them whole, so a secret
  // inside a long string (a log line, a frame) is found too.
  return startServerProcess(['--log-level', 'debug'], {}, { nodeArgs: ['--heapsnapshot-signal=SIGUSR2', '--heap-snapshot-string-limit=1000000'], cwd });
}

const ROOM_KEY = createRoomKey();
const NAMES = { ada: 'Zyxwvut Ada', bob: 'Qwertzuiop Bob', bobRenamed: 'Plokijuh Robert', cy: 'Mnbvcxy Cy' };
const TEXTS = [
  'marker-text-4711 see you at 5',
  'marker-text-4712 bring the blueprints',
  'marker-text-4713 after the rename',
  'marker-text-4714 back after a reload',
];

describe('what the signaling server learns of a chat', () => {
  it('keeps no name, text, key, SDP or candidate in its logs or memory, nor a session secret after the join', async () => {
    const started = Date.now();
    // The snapshot is written into the server's working directory: a fresh one, removed after.
    const cwd = mkdtempSync(join(tmpdir(), 'parley-heap-'));
    leftover.cwd = cwd;
    const server = await startServerWithHeapSnapshots(cwd);
    leftover.child = server.child;
    const rooms: ParleyRoom[] = [];
    leftover.rooms = rooms;
    const taps: LinkTap[] = [];
    const identities: SessionIdentity[] = [];
    const open = (name: string, identity: SessionIdentity = ephemeralIdentity()): ParleyRoom => {
      const tap = linkTap();
      const room = new ParleyRoom({
        roomKey: ROOM_KEY,
        name,
        identity,
        signalingUrl: `ws://127.0.0.1:${server.port}/signal`,
        WebSocketImpl: WebSocket as unknown as new (url: string) => globalThis.WebSocket,
        createLink: tap.createLink,
      });
      rooms.push(room);
      taps.push(tap);
      identities.push(identity);
      room.start();
      return room;
    };
    try {
      // A chat: three people, messages both ways, a rename, and a reload (a second join with the
      // same session secret), each step waited for on the receiving side.
      const ada = open(NAMES.ada);
      await untilRoom(ada, () => ada.status.phase === 'joined');
      const bob = open(NAMES.bob);
      const cyIdentity = ephemeralIdentity();
      const cy = open(NAMES.cy, cyIdentity);
      for (const room of [ada, bob, cy]) await untilRoom(room, allConnected(room, 2));
      ada.send(TEXTS[0]!);
      bob.send(TEXTS[1]!);
      for (const room of [ada, bob, cy]) await untilRoom(room, () => room.messages.length === 2);
      bob.setName(NAMES.bobRenamed);
      for (const room of [ada, cy]) await untilRoom(room, () => room.nameOf(bob.selfId) === NAMES.bobRenamed);
      cy.send(TEXTS[2]!);
      for (const room of [ada, bob]) await untilRoom(room, () => room.messages.length === 3);
      cy.close();
      const cyAgain = open(NAMES.cy, cyIdentity);
      await untilRoom(cyAgain, () => cyAgain.messages.length === 3 && allConnected(cyAgain, 2)());
      cyAgain.send(TEXTS[3]!);
      for (const room of [ada, bob]) await untilRoom(room, () => room.messages.length === 4);
      console.log(`[timing] chat done: ${Date.now() - started} ms`);

      // Everyone is still in the room: the snapshot is of a server in use, after all joins.
      server.child.kill('SIGUSR2');
      const file = await waitForSnapshotFile(cwd);
      const snapshot: HeapSnapshot = readHeapSnapshot(file);
      console.log(`[timing] heap snapshot written and read: ${Date.now() - started} ms (${snapshot.strings.length} strings)`);

      // What must not be there, including what only the rooms' own connections saw (read
      // from their plain signals before sealing): DTLS fingerprints, ICE credentials, candidates.
      const sdps = taps.flatMap((tap) => tap.signals).flatMap((signal) => (typeof signal.sdp === 'string' ? [signal.sdp] : []));
      const fromSdp = (pattern: RegExp): string[] => [...new Set(sdps.flatMap((sdp) => [...sdp.matchAll(pattern)].map((match) => match[1]!)))];
      const ufrags = fromSdp(/^a=ice-ufrag:(\S+)/gm);
      const passwords = fromSdp(/^a=ice-pwd:(\S+)/gm);
      const fingerprints = fromSdp(/^a=fingerprint:\S+ (\S+)/gm);
      const candidates = [
        ...new Set(taps.flatMap((tap) => tap.signals).flatMap((signal) => [...JSON.stringify(signal).matchAll(/candidate:[^"\\]+/g)].map((match) => match[0]))),
      ];
      expect(sdps.length).toBeGreaterThanOrEqual(6);
      expect(passwords.length).toBeGreaterThanOrEqual(6);
      expect(fingerprints.length).toBeGreaterThanOrEqual(3);
      expect(candidates.length).toBeGreaterThan(0);

      const forbidden: Record<string, string[]> = {
        'room key': [ROOM_KEY],
        'display names': [...Object.values(NAMES), 'Zyxwvut', 'Qwertzuiop', 'Plokijuh', 'Mnbvcxy'],
        'chat text': [...TEXTS, 'marker-text-471'],
        // Not a bare 'sdp': the server's MIME table (for its static files) has the 'sdp' extension.
        SDP: ['v=0\r\n', '"sdp":', 'a=fingerprint', 'a=ice-ufrag', 'a=ice-pwd', 'candidate:'],
        'DTLS fingerprints': fingerprints,
        // node-datachannel's ufrags are 4 characters, found in any large heap by chance: only a long one
        // is looked for alone (an SDP's ufrag line is covered by 'a=ice-ufrag' above).
        'ICE credentials': [...passwords, ...ufrags.filter((ufrag) => ufrag.length >= 8)],
        'ICE candidates': candidates,
        // Cy's reload joined with the same secret again.
        'session secrets': [...new Set(identities.map((identity) => identity.secret))],
      };
      const logs = server.output();
      const found = (haystacks: readonly string[]): Record<string, string[]> =>
        Object.fromEntries(
          Object.entries(forbidden).map(([what, needles]) => [what, needles.filter((needle) => haystacks.some((text) => text.includes(needle)))]),
        );
      const inHeap = found(snapshot.strings);
      const inLogs = found([logs]);
      // Where a forbidden string is held, for the report if this fails.
      for (const needle of Object.values(inHeap).flat()) console.log(`[heap] ${JSON.stringify(needle)} is retained by:\n  ${snapshot.retainerPath(needle).join('\n  ')}`);
      const none = Object.fromEntries(Object.keys(forbidden).map((what) => [what, []]));
      expect(inLogs).toEqual(none);
      expect(inHeap).toEqual(none);

      // The search finds what is there: the room id, shortened in the logs (never whole), and
      // whole in memory, where the room registry keeps it; the members' peer ids in both.
      const roomId = ada.roomId;
      expect(logs).toContain(`"room":"${roomId.slice(0, 8)}"`);
      expect(logs).not.toContain(roomId);
      expect(snapshot.find(roomId).length).toBeGreaterThan(0);
      for (const room of [ada, bob, cyAgain]) {
        expect(logs).toContain(room.selfId);
        expect(snapshot.find(room.selfId).length).toBeGreaterThan(0);
      }
    } finally {
      for (const room of rooms) room.close();
      server.child.kill('SIGTERM');
      await server.exited;
      rmSync(cwd, { recursive: true, force: true });
    }
    console.log(`[timing] whole test: ${Date.now() - started} ms`);
  }, 30_000);
});
