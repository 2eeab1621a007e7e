import { describe, expect, it } from 'vitest';
import { decodeClientMessage } from '../../signaling/decode-client-message.js';
import { ErrorCode, normaliseDisplayName, PROTOCOL_VERSION } from '../../protocol/signaling.js';

const ROOM = 'A'.repeat(43);
const PEER = 'b'.repeat(22);
const SESSION = 's'.repeat(22);

describe('decodeClientMessage: good frames', () => {
  it.each([
    ['join', { type: 'join', v: PROTOCOL_VERSION, room: ROOM, name: 'Ada', session: SESSION }],
    ['join with a non-Latin name', { type: 'join', v: 1, room: ROOM, name: 'Zoë 🦊 محمد', session: SESSION }],
    ['signal with an offer', { type: 'signal', to: PEER, data: { type: 'offer', sdp: 'v=0\r\n' } }],
    ['signal with a candidate', { type: 'signal', to: PEER, data: { type: 'candidate', candidate: { candidate: 'c', sdpMid: '0' } } }],
    ['rename', { type: 'rename', name: 'Grace' }],
    ['leave', { type: 'leave' }],
  ])('accepts %s', (_label, frame) => {
    const result = decodeClientMessage(JSON.stringify(frame));
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.message).toEqual(frame);
  });

  it('accepts a future protocol version at the schema level (the session answers it)', () => {
    expect(decodeClientMessage(JSON.stringify({ type: 'join', v: 99, room: ROOM, name: 'Ada', session: SESSION })).ok).toBe(true);
  });
});

describe('decodeClientMessage: bad frames', () => {
  it.each([
    ['not JSON', '{"type":', ErrorCode.BadJson],
    ['empty', '', ErrorCode.BadJson],
    ['a JSON string', '"join"', ErrorCode.UnknownType],
    ['null', 'null', ErrorCode.UnknownType],
    ['an array', '[{"type":"join"}]', ErrorCode.UnknownType],
    ['no type', '{"room":"x"}', ErrorCode.UnknownType],
    ['unknown type', '{"type":"chat","text":"hi"}', ErrorCode.UnknownType],
    ['a numeric type', '{"type":1}', ErrorCode.UnknownType],
    ['join without a name', JSON.stringify({ type: 'join', v: 1, room: ROOM, session: SESSION }), ErrorCode.InvalidMessage],
    ['join with a blank name', JSON.stringify({ type: 'join', v: 1, room: ROOM, name: '   ', session: SESSION }), ErrorCode.InvalidMessage],
    ['join with a control character in the name', JSON.stringify({ type: 'join', v: 1, room: ROOM, name: 'a\u0007b', session: SESSION }), ErrorCode.InvalidMessage],
    ['join with a 65-character name', JSON.stringify({ type: 'join', v: 1, room: ROOM, name: 'x'.repeat(65), session: SESSION }), ErrorCode.InvalidMessage],
    ['join with a short room id', JSON.stringify({ type: 'join', v: 1, room: 'abc', name: 'Ada', session: SESSION }), ErrorCode.InvalidMessage],
    ['join with a string version', JSON.stringify({ type: 'join', v: '1', room: ROOM, name: 'Ada', session: SESSION }), ErrorCode.InvalidMessage],
    ['join with an extra field', JSON.stringify({ type: 'join', v: 1, room: ROOM, name: 'Ada', session: SESSION, admin: true }), ErrorCode.InvalidMessage],
    ['join without a session', JSON.stringify({ type: 'join', v: 1, room: ROOM, name: 'Ada' }), ErrorCode.InvalidMessage],
    ['join with a short session', JSON.stringify({ type: 'join', v: 1, room: ROOM, name: 'Ada', session: 'abc' }), ErrorCode.InvalidMessage],
    ['signal with a forged from', JSON.stringify({ type: 'signal', to: PEER, from: PEER, data: {} }), ErrorCode.InvalidMessage],
    ['signal with array data', JSON.stringify({ type: 'signal', to: PEER, data: [] }), ErrorCode.InvalidMessage],
    ['signal with string data', JSON.stringify({ type: 'signal', to: PEER, data: 'sdp' }), ErrorCode.InvalidMessage],
    ['signal to a malformed id', JSON.stringify({ type: 'signal', to: '../x', data: {} }), ErrorCode.InvalidMessage],
    ['leave with a payload', JSON.stringify({ type: 'leave', now: true }), ErrorCode.InvalidMessage],
  ])('rejects %s', (_label, frame, code) => {
    const result = decodeClientMessage(frame);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.code).toBe(code);
    expect(result.message.length).toBeGreaterThan(10);
    expect(result.message).not.toMatch(/at .*\.(ts|js):\d+/); // no stack traces
  });

  it('names the offending field', () => {
    const result = decodeClientMessage(JSON.stringify({ type: 'join', v: 1, room: ROOM, name: 'Ada', session: SESSION, admin: true }));
    expect(result).toMatchObject({ ok: false, ref: 'join' });
    if (!result.ok) expect(result.message).toContain('"admin"');
    const missing = decodeClientMessage(JSON.stringify({ type: 'signal', to: PEER }));
    if (!missing.ok) expect(missing.message).toContain('"data"');
  });

  it('does not echo long unknown types back', () => {
    const result = decodeClientMessage(JSON.stringify({ type: 'x'.repeat(1000) }));
    expect(result).toMatchObject({ ok: false, code: ErrorCode.UnknownType });
    if (!result.ok) expect(result.ref).toBeUndefined();
  });
});

describe('normaliseDisplayName', () => {
  it('trims, collapses whitespace and removes control characters', () => {
    expect(normaliseDisplayName('  Ada \t  Lovelace\n')).toBe('Ada Lovelace');
    expect(normaliseDisplayName('a\u0000b')).toBe('a b');
  });
  it('returns empty for nothing usable', () => {
    expect(normaliseDisplayName(' \n\t ')).toBe('');
  });
  it('cuts at 64 code points without splitting a surrogate pair', () => {
    const name = normaliseDisplayName('🦊'.repeat(70));
    expect(Array.from(name)).toHaveLength(64);
    expect(name).toBe('🦊'.repeat(64));
  });
  it('produces names the protocol accepts', () => {
    for (const raw of ['  Ada  ', '🦊'.repeat(70), 'x'.repeat(200), 'a\u0007b']) {
      const name = normaliseDisplayName(raw);
      expect(decodeClientMessage(JSON.stringify({ type: 'rename', name })).ok).toBe(true);
    }
  });
});

describe('decodeClientMessage: the raw signal payload', () => {
  const data = { type: 'offer', sdp: 'v=0\r\n"quoted" \u2028 é 🦊', nested: { to: PEER, data: [1, 2] } };

  it('is the exact text of data for the canonical layout browsers send', () => {
    const result = decodeClientMessage(JSON.stringify({ type: 'signal', to: PEER, data }));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.rawData).toBe(JSON.stringify(data));
    expect(JSON.parse(result.rawData!)).toEqual(data);
  });

  it('is absent when the layout differs, so the payload is serialised again', () => {
    for (const frame of [
      JSON.stringify({ to: PEER, type: 'signal', data }),
      JSON.stringify({ type: 'signal', to: PEER, data }, null, 1),
      // A repeated `to`: the validated (last) one differs from the one in the canonical position.
      `{"type":"signal","to":"${'c'.repeat(22)}","data":{},"to":"${PEER}"}`,
    ]) {
      const result = decodeClientMessage(frame);
      expect(result.ok).toBe(true);
      if (result.ok) expect(result.rawData).toBeUndefined();
    }
  });

  it('never carries a top-level field other than type, to and data', () => {
    expect(decodeClientMessage(`{"type":"signal","to":"${PEER}","data":{},"from":"${'f'.repeat(22)}"}`).ok).toBe(false);
  });
});
