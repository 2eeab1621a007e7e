// The link supervisor's decisions, on a fake mesh and fake timers: who offers and when, the offer
// fallback, healing and its limit, the grace for a member that left with its link still up, and the
// probe that tells a lost member whose link only seems up from one that is still there.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  HEAL_JITTER_MS,
  HEAL_STEP_FIRST_MS,
  HEAL_STEP_SECOND_MS,
  LEFT_WITH_LINK_GRACE_MS,
  LOST_PROBE_MS,
  LinkSupervisor,
  MAX_HEAL_ATTEMPTS,
  OFFER_FALLBACK_MS,
} from '../../../web/room/link-supervisor.js';
import { ParticipantRegistry } from '../../../web/room/participants.js';
import { FakeMesh } from '../../support/fake-mesh.js';
import { LeaveReason } from '../../../protocol/signaling.js';

const SELF = 'm'.repeat(22);
/** Sorts before SELF: when a link to it breaks, it offers first and we wait longer. */
const LOWER = 'a'.repeat(22);
/** Sorts after SELF: we offer first. */
const HIGHER = 'z'.repeat(22);

let mesh: FakeMesh;
let participants: ParticipantRegistry;
let joined: boolean;
let supervisor: LinkSupervisor;
let random: number;
/** Members we asked to answer over their link, in order; whether the ask could be sent. */
let probed: string[];
let probeSent: boolean;

beforeEach(() => {
  vi.useFakeTimers();
  mesh = new FakeMesh();
  participants = new ParticipantRegistry();
  joined = true;
  random = 0;
  probed = [];
  probeSent = true;
  const probe = (id: string): boolean => {
    probed.push(id);
    return probeSent;
  };
  supervisor = new LinkSupervisor({ selfId: SELF, mesh, participants, isJoined: () => joined, probe, random: () => random });
});

afterEach(() => {
  supervisor.dispose();
  vi.useRealTimers();
});

const member = (id: string) => ({ id });
const stateOf = (id: string) => participants.get(id)?.state;

/** A member whose link opened: in the room and connected. */
function linkedMember(id: string): void {
  supervisor.onPeerJoined(member(id));
  mesh.states.set(id, 'connected');
  supervisor.onLinkState(id, 'connected');
}

/** The link to `id` broke (the mesh has already dropped it). */
function linkBreaks(id: string): void {
  mesh.states.delete(id);
  supervisor.onLinkClosed(id);
}

describe('who offers', () => {
  it('leaves the offers to the members the welcome lists, and offers itself only when none came in time', () => {
    supervisor.onWelcome([member(LOWER), member(HIGHER)], false);
    expect(participants.list().map((p) => [p.id, p.state])).toEqual([
      [LOWER, 'connecting'],
      [HIGHER, 'connecting'],
    ]);
    // LOWER's offer arrives; HIGHER stays silent.
    supervisor.onSignal(LOWER, { type: 'offer', sdp: 'x' });
    vi.advanceTimersByTime(OFFER_FALLBACK_MS - 1);
    expect(mesh.connects()).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(mesh.connects()).toEqual([HIGHER]);
  });

  it('offers at once after a reload, since members may still hold a link to the previous page', () => {
    supervisor.onWelcome([member(LOWER), member(HIGHER)], true);
    expect(mesh.connects()).toEqual([LOWER, HIGHER]);
    vi.advanceTimersByTime(OFFER_FALLBACK_MS * 2);
    expect(mesh.connects()).toEqual([LOWER, HIGHER]);
  });

  it('makes no offer to a member it still has a link with after a signaling reconnect', () => {
    linkedMember(HIGHER);
    supervisor.onSignalingLost();
    supervisor.onWelcome([member(HIGHER)], false);
    vi.advanceTimersByTime(OFFER_FALLBACK_MS * 2);
    expect(mesh.connects()).toEqual([HIGHER]); // the first link only
    expect(stateOf(HIGHER)).toBe('connected');
  });

  it('does not fall back to offering once it is no longer in the room', () => {
    supervisor.onWelcome([member(HIGHER)], false);
    joined = false;
    vi.advanceTimersByTime(OFFER_FALLBACK_MS);
    expect(mesh.connects()).toEqual([]);
  });

  it('offers to a newcomer at once, and not again to one whose link works', () => {
    supervisor.onPeerJoined(member(LOWER));
    expect(mesh.connects()).toEqual([LOWER]);
    expect(stateOf(LOWER)).toBe('connecting');
    mesh.states.set(LOWER, 'connected');
    supervisor.onLinkState(LOWER, 'connected');
    supervisor.onPeerJoined(member(LOWER));
    expect(mesh.connects()).toEqual([LOWER]);
    expect(participants.get(LOWER)?.state).toBe('connected');
  });

  it('gives up on a link it cannot trust: closed, shown as failed, not rebuilt', () => {
    linkedMember(HIGHER);
    supervisor.giveUp(HIGHER);
    expect(mesh.calls.at(-1)).toBe(`remove ${HIGHER}`);
    expect(stateOf(HIGHER)).toBe('failed');
    const before = mesh.calls.length;
    vi.advanceTimersByTime(60_000);
    expect(mesh.calls.length).toBe(before);
    // The server announcing it again is a fresh start.
    supervisor.onPeerJoined(member(HIGHER));
    expect(mesh.calls.at(-1)).toBe(`connect ${HIGHER}`);
  });

  it('lets only members the server lists start a connection', () => {
    supervisor.onPeerJoined(member(LOWER));
    supervisor.onSignal(LOWER, { type: 'offer' });
    supervisor.onSignal(HIGHER, { type: 'offer' });
    expect(mesh.calls.filter((call) => call.startsWith('signal'))).toEqual([`signal ${LOWER} offer true`, `signal ${HIGHER} offer false`]);
  });
});

describe('healing a broken link', () => {
  it('rebuilds it, the side with the smaller id first, with growing waits', () => {
    linkedMember(HIGHER);
    linkBreaks(HIGHER);
    expect(stateOf(HIGHER)).toBe('reconnecting');
    vi.advanceTimersByTime(HEAL_STEP_FIRST_MS - 1);
    expect(mesh.connects()).toEqual([HIGHER]);
    vi.advanceTimersByTime(1);
    expect(mesh.connects()).toEqual([HIGHER, HIGHER]);
    // The rebuilt link fails too: the second attempt waits twice as long.
    linkBreaks(HIGHER);
    vi.advanceTimersByTime(HEAL_STEP_FIRST_MS * 2 - 1);
    expect(mesh.connects()).toHaveLength(2);
    vi.advanceTimersByTime(1);
    expect(mesh.connects()).toHaveLength(3);
  });

  it('waits longer as the side with the larger id, and leaves it to the other side\'s offer under way', () => {
    linkedMember(LOWER);
    linkBreaks(LOWER);
    vi.advanceTimersByTime(HEAL_STEP_SECOND_MS - 1);
    expect(mesh.connects()).toEqual([LOWER]);
    // LOWER's offer arrived meanwhile and is being answered: no second connection.
    supervisor.onSignal(LOWER, { type: 'offer' });
    vi.advanceTimersByTime(1);
    expect(mesh.connects()).toEqual([LOWER]);
  });

  it('spreads attempts by up to the jitter', () => {
    random = 0.999;
    linkedMember(HIGHER);
    linkBreaks(HIGHER);
    vi.advanceTimersByTime(HEAL_STEP_FIRST_MS + HEAL_JITTER_MS * 0.999 - 1);
    expect(mesh.connects()).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(mesh.connects()).toHaveLength(2);
  });

  it(`gives up after ${MAX_HEAL_ATTEMPTS} attempts in a row and shows the link as failed`, () => {
    linkedMember(HIGHER);
    for (let attempt = 1; attempt <= MAX_HEAL_ATTEMPTS; attempt += 1) {
      linkBreaks(HIGHER);
      expect(stateOf(HIGHER)).toBe('reconnecting');
      vi.advanceTimersByTime(HEAL_STEP_FIRST_MS * attempt);
      expect(mesh.connects()).toHaveLength(1 + attempt);
    }
    linkBreaks(HIGHER);
    expect(stateOf(HIGHER)).toBe('failed');
    vi.advanceTimersByTime(60_000);
    expect(mesh.connects()).toHaveLength(1 + MAX_HEAL_ATTEMPTS);
    // Still a member: the person is in the room, only the link could not be rebuilt.
    expect(participants.has(HIGHER)).toBe(true);
  });

  it('counts attempts afresh once a link has worked again', () => {
    linkedMember(HIGHER);
    for (let round = 0; round < 3; round += 1) {
      for (let attempt = 1; attempt <= MAX_HEAL_ATTEMPTS - 1; attempt += 1) {
        linkBreaks(HIGHER);
        vi.advanceTimersByTime(HEAL_STEP_FIRST_MS * attempt);
      }
      mesh.states.set(HIGHER, 'connected');
      supervisor.onLinkState(HIGHER, 'connected');
    }
    linkBreaks(HIGHER);
    expect(stateOf(HIGHER)).toBe('reconnecting');
  });

  it('does not heal, but lets go, when the server no longer lists the member or we are not in the room', () => {
    linkedMember(HIGHER);
    joined = false;
    linkBreaks(HIGHER);
    expect(participants.has(HIGHER)).toBe(false);
    vi.advanceTimersByTime(60_000);
    expect(mesh.connects()).toEqual([HIGHER]);
  });

  it('shows an unstable link as reconnecting, and connected again when ICE recovers', () => {
    linkedMember(HIGHER);
    supervisor.onLinkState(HIGHER, 'unstable');
    expect(stateOf(HIGHER)).toBe('reconnecting');
    supervisor.onLinkState(HIGHER, 'connected');
    expect(stateOf(HIGHER)).toBe('connected');
  });
});

describe('members that leave', () => {
  it('keeps a member the server lost while its direct link works and it answers, for the grace period', () => {
    linkedMember(HIGHER);
    supervisor.onPeerLeft(HIGHER, LeaveReason.Lost);
    expect(probed).toEqual([HIGHER]);
    supervisor.onPeerAnswered(HIGHER);
    vi.advanceTimersByTime(LEFT_WITH_LINK_GRACE_MS - 1);
    expect(participants.has(HIGHER)).toBe(true);
    vi.advanceTimersByTime(1);
    expect(participants.has(HIGHER)).toBe(false);
    expect(mesh.calls.at(-1)).toBe(`remove ${HIGHER}`);
  });

  it('drops a lost member whose link only seems up: no answer to the probe in time', () => {
    // Its server instance was killed with it: the browser has not noticed the dead link yet.
    linkedMember(HIGHER);
    supervisor.onPeerLeft(HIGHER, LeaveReason.Lost);
    vi.advanceTimersByTime(LOST_PROBE_MS - 1);
    expect(participants.has(HIGHER)).toBe(true);
    vi.advanceTimersByTime(1);
    expect(participants.has(HIGHER)).toBe(false);
    expect(mesh.calls.at(-1)).toBe(`remove ${HIGHER}`);
  });

  it('drops a lost member at once when the probe cannot even be sent', () => {
    linkedMember(HIGHER);
    probeSent = false;
    supervisor.onPeerLeft(HIGHER, LeaveReason.Lost);
    expect(participants.has(HIGHER)).toBe(false);
  });

  it('keeps a lost member that rejoins before the probe runs out, even without an answer', () => {
    linkedMember(HIGHER);
    supervisor.onPeerLeft(HIGHER, LeaveReason.Lost);
    supervisor.onPeerJoined(member(HIGHER));
    vi.advanceTimersByTime(LEFT_WITH_LINK_GRACE_MS * 2);
    expect(participants.get(HIGHER)?.state).toBe('connected');
  });

  it('does not probe a member that said it left: that is final', () => {
    linkedMember(HIGHER);
    supervisor.onPeerLeft(HIGHER, LeaveReason.Left);
    expect(probed).toEqual([]);
  });

  it('keeps it for good when it rejoins within the grace period', () => {
    linkedMember(HIGHER);
    supervisor.onPeerLeft(HIGHER, LeaveReason.Lost);
    supervisor.onPeerAnswered(HIGHER);
    vi.advanceTimersByTime(LEFT_WITH_LINK_GRACE_MS / 2);
    supervisor.onPeerJoined(member(HIGHER));
    vi.advanceTimersByTime(LEFT_WITH_LINK_GRACE_MS * 2);
    expect(participants.get(HIGHER)?.state).toBe('connected');
  });

  it('lets go at once of a member that said it left, even with its link still up', () => {
    linkedMember(HIGHER);
    supervisor.onPeerLeft(HIGHER, LeaveReason.Left);
    expect(participants.has(HIGHER)).toBe(false);
    expect(mesh.states.has(HIGHER)).toBe(false);
  });

  it('lets go at once of a lost member without a working link', () => {
    supervisor.onPeerJoined(member(HIGHER));
    supervisor.onPeerLeft(HIGHER, LeaveReason.Lost);
    expect(participants.has(HIGHER)).toBe(false);
  });

  it('keeps only the members with a working link while signaling is down', () => {
    linkedMember(HIGHER);
    supervisor.onPeerJoined(member(LOWER));
    supervisor.onSignalingLost();
    expect(participants.ids()).toEqual([HIGHER]);
    expect(participants.inRoom(HIGHER)).toBe(false);
    // Back in the room, the welcome no longer lists HIGHER and its link has gone meanwhile.
    mesh.states.delete(HIGHER);
    supervisor.onWelcome([], false);
    expect(participants.ids()).toEqual([]);
  });

  it('stops every pending decision when disposed', () => {
    supervisor.onWelcome([member(HIGHER)], false);
    supervisor.dispose();
    vi.advanceTimersByTime(60_000);
    expect(mesh.connects()).toEqual([]);
  });
});
