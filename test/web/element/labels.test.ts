// The words <parley-chat> shows for receipts, connection states and the room's status.
import { describe, expect, it } from 'vitest';
import { deliveryLabel, LINK_FAILURE_LABEL, linkPathLabel, PEER_PROBLEM_LABEL, PEER_STATE_LABEL, peerName, peerStatusLabel, statusLabel } from '../../../web/element/labels.js';
import type { Participant } from '../../../web/room/room.js';
import { OUTBOX_MAX_AGE_MS } from '../../../web/room/delivery-tracker.js';

const names: Record<string, string> = { ada: 'Ada', bob: 'Bob' };
const nameOf = (id: string): string | undefined => names[id];

describe('receipt under one of our messages', () => {
  it.each([
    [{ delivered: 0, total: 0 }, 'Nobody else is here yet · people who join will see it', 'pending'],
    [{ delivered: 0, total: 3 }, 'Sending…', 'pending'],
    [{ delivered: 2, total: 3 }, 'Delivered to 2 of 3', 'pending'],
    [{ delivered: 1, total: 1 }, 'Delivered', 'done'],
    [{ delivered: 3, total: 3 }, 'Delivered to all 3', 'done'],
  ])('%o reads "%s"', (counts, text, state) => {
    expect(deliveryLabel({ ...counts, undeliverable: [] }, nameOf)).toEqual({ text, state });
  });

  it('names who a message could not reach, and why', () => {
    expect(deliveryLabel({ delivered: 1, total: 3, undeliverable: [{ peerId: 'ada', reason: 'too-old' }] }, nameOf)).toEqual({
      text: `Not delivered to Ada: unreachable for over ${OUTBOX_MAX_AGE_MS / 60_000} minutes`,
      state: 'failed',
    });
    expect(
      deliveryLabel(
        {
          delivered: 0,
          total: 2,
          undeliverable: [
            { peerId: 'bob', reason: 'outbox-full' },
            { peerId: 'gone', reason: 'outbox-full' },
          ],
        },
        nameOf,
      ).text,
    ).toBe('Not delivered to Bob, someone who left: too many messages waiting for them');
  });
});

describe('status line', () => {
  const now = 1_000_000;
  it.each([
    [{ phase: 'connecting' }, 0, 'Connecting to the signaling server…'],
    [{ phase: 'joined' }, 0, 'Connected · waiting for others to open the room link'],
    [{ phase: 'joined' }, 2, 'Connected · chat goes directly between browsers'],
    [{ phase: 'reconnecting', retryAt: now + 2500 }, 0, 'Signaling server unreachable · retrying in 3 s'],
    [{ phase: 'reconnecting' }, 1, 'Signaling server unreachable · reconnecting… · chat continues with the people already connected'],
    [{ phase: 'reconnecting', retryAt: now - 10 }, 0, 'Signaling server unreachable · reconnecting…'],
    [{ phase: 'reconnecting', code: 4029, retryAt: now + 29_500 }, 2, 'The signaling server is busy · retrying in 30 s'],
    [{ phase: 'rejected', detail: 'This room is full.' }, 0, 'This room is full.'],
    [{ phase: 'rejected' }, 0, 'The server refused to let you join this room.'],
    [{ phase: 'closed' }, 0, 'You left this room.'],
  ] as const)('%o with %i others reads "%s"', (status, peers, text) => {
    expect(statusLabel(status, peers, now)).toBe(text);
  });

  it('does not say chat goes directly while nobody is connected yet', () => {
    expect(statusLabel({ phase: 'joined' }, 2, now, 0)).toBe('Connected to the server · connecting to the others directly…');
    expect(statusLabel({ phase: 'joined' }, 2, now, 1)).toBe('Connected · chat goes directly between browsers');
  });

  it('has a word for every connection state', () => {
    expect(Object.values(PEER_STATE_LABEL)).toEqual(['Connecting…', 'Connected', 'Reconnecting…', 'Connection failed']);
  });
});

describe('what a participant row says about who the peer is', () => {
  const peer = (changes: Partial<Participant>): Participant => ({
    id: 'AbCdEfGhIjKlMnOpQrStUv',
    name: 'Ada',
    tag: 'AbCd',
    state: 'connected',
    proof: 'proven',
    verified: false,
    identityChanged: false,
    ...changes,
  });

  it('says connected only for a proven peer, and verified when the person marked it', () => {
    expect(peerStatusLabel(peer({}))).toEqual({ text: 'Connected', tone: 'ok' });
    expect(peerStatusLabel(peer({ verified: true }))).toEqual({ text: 'Verified · connected', tone: 'ok' });
    expect(peerStatusLabel(peer({ state: 'connecting', proof: 'pending' }))).toEqual({ text: 'Connecting…', tone: 'busy' });
  });

  it('says a refused peer could not prove it has the key, in words, whatever its link state', () => {
    expect(peerStatusLabel(peer({ state: 'failed', proof: 'refused', problem: 'no-room-key' }))).toEqual({ text: 'Could not prove it has this room’s key', tone: 'bad' });
    expect(peerStatusLabel(peer({ state: 'failed', proof: 'refused', problem: 'wrong-id' })).text).toBe('Claimed an identity that is not its own');
  });

  it('flags tampered signaling until the link works, and a name verified before with another key', () => {
    expect(peerStatusLabel(peer({ state: 'connecting', proof: 'pending', problem: 'tampered-signaling' }))).toEqual({ text: 'Connection data was tampered with', tone: 'bad' });
    expect(peerStatusLabel(peer({ identityChanged: true }))).toEqual({ text: 'Not the Ada you verified', tone: 'bad' });
    // Aimed at a working link, it was thrown away: the link is fine, and the row says so.
    expect(peerStatusLabel(peer({ problem: 'tampered-signaling' }))).toEqual({ text: 'Connected · tampered data blocked', tone: 'busy' });
  });

  it('names a peer that has not said its name yet', () => {
    expect(peerName({ name: '' })).toBe('Someone joining');
    expect(peerName({ name: 'Ada' })).toBe('Ada');
  });

  it('says why no path was found while it retries, and that it gave up', () => {
    expect(peerStatusLabel(peer({ state: 'reconnecting', proof: 'pending', linkFailure: 'no-turn' }))).toEqual({ text: 'No direct path · no TURN server', tone: 'busy' });
    expect(peerStatusLabel(peer({ state: 'failed', proof: 'pending', linkFailure: 'turn-refused' }))).toEqual({ text: 'TURN refused the credentials', tone: 'bad' });
    // Once connected, an old failure is history.
    expect(peerStatusLabel(peer({ linkFailure: 'no-turn' })).text).toBe('Connected');
    expect(LINK_FAILURE_LABEL['no-turn'].long).toContain('no TURN server is configured; people on strict networks need one');
  });

  it('describes the path of a connection in one line', () => {
    expect(linkPathLabel({ route: 'local-network', localCandidate: 'host', remoteCandidate: 'host', protocol: 'udp', roundTripMs: 0.4 })).toBe('Direct on the local network · 0.4\u00a0ms round trip');
    expect(linkPathLabel({ route: 'through-nat', localCandidate: 'host', remoteCandidate: 'srflx', protocol: 'udp', roundTripMs: 23.6 })).toBe('Direct through NAT · 24\u00a0ms round trip');
    expect(linkPathLabel({ route: 'relayed', localCandidate: 'relay', remoteCandidate: 'srflx', protocol: 'tcp' })).toBe('Relayed through TURN (tcp)');
  });

  it('has a short and a long sentence for every problem', () => {
    for (const label of Object.values(LINK_FAILURE_LABEL)) {
      expect(label.short.length).toBeLessThan(45);
      expect(label.long.length).toBeGreaterThan(label.short.length);
    }
    for (const label of Object.values(PEER_PROBLEM_LABEL)) {
      expect(label.short.length).toBeLessThan(45);
      expect(label.long.length).toBeGreaterThan(label.short.length);
    }
  });
});
