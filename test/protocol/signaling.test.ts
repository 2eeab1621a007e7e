// The signal frame's layout is what the server's relay fast path recognises: it must be exactly
// what the browser's JSON.stringify writes, and what the server writes back must parse to the
// delivery the protocol describes.
import { describe, expect, it } from 'vitest';
import {
  ClientMessageType,
  CloseCode,
  FINAL_CLOSE_CODES,
  HttpRefusal,
  SIGNAL_REQUEST_DATA_INFIX,
  SIGNAL_REQUEST_PREFIX,
  ServerMessageType,
  signalDeliveryFrame,
  type SignalDelivery,
  type SignalRequest,
} from '../../protocol/signaling.js';
import { PEER_ID_LENGTH, PEER_ID_PATTERN } from '../../protocol/ids.js';

const PEER = 'b'.repeat(PEER_ID_LENGTH);

describe('signaling protocol', () => {
  it('spells a signal request the way JSON.stringify writes it', () => {
    const data = { type: 'offer', sdp: 'v=0\r\n"quoted"' };
    const request: SignalRequest = { type: ClientMessageType.Signal, to: PEER, data };
    const frame = JSON.stringify(request);
    expect(frame.startsWith(SIGNAL_REQUEST_PREFIX + PEER + SIGNAL_REQUEST_DATA_INFIX)).toBe(true);
    expect(frame.slice((SIGNAL_REQUEST_PREFIX + PEER + SIGNAL_REQUEST_DATA_INFIX).length, -1)).toBe(JSON.stringify(data));
  });

  it('writes a signal delivery that parses to the protocol message', () => {
    const data = { candidate: 'candidate:1 1 udp 2122260223 198.51.100.7 5000 typ host', sdpMid: '0' };
    const delivery: SignalDelivery = { type: ServerMessageType.Signal, from: PEER, data };
    expect(JSON.parse(signalDeliveryFrame(PEER, JSON.stringify(data)))).toEqual(delivery);
  });

  it('derives the peer id pattern from the one length', () => {
    expect(PEER).toMatch(new RegExp(PEER_ID_PATTERN));
    expect(PEER.slice(1)).not.toMatch(new RegExp(PEER_ID_PATTERN));
  });

  it('tells clients not to retry after a refusal that cannot change, and to retry otherwise', () => {
    expect([...FINAL_CLOSE_CODES].sort()).toEqual([CloseCode.UnsupportedVersion, CloseCode.RoomFull, CloseCode.Replaced].sort());
    for (const code of [CloseCode.Normal, CloseCode.GoingAway, CloseCode.Abnormal, CloseCode.JoinTimeout, CloseCode.RateLimited]) {
      expect(FINAL_CLOSE_CODES).not.toContain(code);
    }
  });

  it('lists each HTTP refusal with a distinct error code, and a distinct status unless both mean "try again later"', () => {
    const refusals = Object.values(HttpRefusal);
    expect(new Set(refusals.map((refusal) => refusal.error)).size).toBe(refusals.length);
    // A browser sees only the status of a refused upgrade: 503 (shutting down, full, no room bus)
    // means come back later, the others each mean something else.
    const others = refusals.filter((refusal) => refusal.status !== 503);
    expect(new Set(others.map((refusal) => refusal.status)).size).toBe(others.length);
    expect(refusals.filter((refusal) => refusal.status === 503).map((refusal) => refusal.error).sort()).toEqual(['not-ready', 'server-full', 'shutting-down']);
  });
});
