import { describe, expect, it } from 'vitest';
import { decodeClientMessage } from '../../signaling/decode-client-message.js';
import { ErrorCode, PROTOCOL_VERSION } from '../../protocol/signaling.js';

const ROOM = 'A'.repeat(43);
const PEER = 'b'.repeat(22);
const SESSION = 's'.repeat(22);
/** A key digest: base64url SHA-256, 43 characters. */
const KEY = 'k'.repeat(43);

describe('decodeClientMessage: good frames', () => {
  it.each([
    ['join', { type: 'join', v: PROTOCOL_VERSION, room: ROOM, session: SESSION, key: KEY }],
    ['join with a key digest of every base64url kind of character', { type: 'join', v: PROTOCOL_VERSION, room: ROOM, session: SESSION, key: `Az09-_${'x'.repeat(37)}` }],
    ['signal with an offer', { type: 'signal', to: PEER, data: { type: 'offer', sdp: 'v=0\r\n' } }],
    ['signal with a candidate', { type: 'signal', to: PEER, data: { type: 'candidate', candidate: { candidate: 'c', sdpMid: '0' } } }],
    // What browsers send since version 2: the server does not look inside.
    ['signal with a sealed payload', { type: 'signal', to: PEER, data: { k: 'offer', n: 1732000000000, c: 'q83vEjRWeJq83vEjRWeJ' } }],
    ['leave', { type: 'leave' }],
  ])('accepts %s', (_label, frame) => {
    const result = decodeClientMessage(JSON.stringify(frame));
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.message).toEqual(frame);
  });

  it('answers a join of another protocol version with unsupported-version, whatever its shape', () => {
    for (const join of [
      { type: 'join', v: 99, room: ROOM, session: SESSION, key: KEY },
      // A version 1 page: a name, no key.
      { type: 'join', v: 1, room: ROOM, name: 'Ada', session: SESSION },
    ]) {
      expect(decodeClientMessage(JSON.stringify(join))).toMatchObject({ ok: false, code: 'unsupported-version', ref: 'join', message: expect.stringContaining('Reload the page') });
    }
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
    ['join without a key', JSON.stringify({ type: 'join', v: 2, room: ROOM, session: SESSION }), ErrorCode.InvalidMessage],
    ['join with a 42-character key', JSON.stringify({ type: 'join', v: 2, room: ROOM, session: SESSION, key: KEY.slice(1) }), ErrorCode.InvalidMessage],
    ['join with a 44-character key', JSON.stringify({ type: 'join', v: 2, room: ROOM, session: SESSION, key: `${KEY}k` }), ErrorCode.InvalidMessage],
    ['join with a padded base64 key', JSON.stringify({ type: 'join', v: 2, room: ROOM, session: SESSION, key: `${KEY.slice(1)}=` }), ErrorCode.InvalidMessage],
    ['join with a key outside base64url', JSON.stringify({ type: 'join', v: 2, room: ROOM, session: SESSION, key: `${KEY.slice(1)}+` }), ErrorCode.InvalidMessage],
    ['join with a numeric key', JSON.stringify({ type: 'join', v: 2, room: ROOM, session: SESSION, key: 1 }), ErrorCode.InvalidMessage],
    // Names never reach the server: a join that carries one is refused, not stripped.
    ['join with a name', JSON.stringify({ type: 'join', v: 2, room: ROOM, session: SESSION, key: KEY, name: 'Ada' }), ErrorCode.InvalidMessage],
    ['join with a short room id', JSON.stringify({ type: 'join', v: 2, room: 'abc', session: SESSION, key: KEY }), ErrorCode.InvalidMessage],
    ['join with a string version', JSON.stringify({ type: 'join', v: '2', room: ROOM, session: SESSION, key: KEY }), ErrorCode.InvalidMessage],
    ['join with an extra field', JSON.stringify({ type: 'join', v: 2, room: ROOM, session: SESSION, key: KEY, admin: true }), ErrorCode.InvalidMessage],
    ['join without a session', JSON.stringify({ type: 'join', v: 2, room: ROOM, key: KEY }), ErrorCode.InvalidMessage],
    ['join with a short session', JSON.stringify({ type: 'join', v: 2, room: ROOM, session: 'abc', key: KEY }), ErrorCode.InvalidMessage],
    ['rename, gone since version 2', JSON.stringify({ type: 'rename', name: 'Grace' }), ErrorCode.UnknownType],
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
    const result = decodeClientMessage(JSON.stringify({ type: 'join', v: 2, room: ROOM, session: SESSION, key: KEY, admin: true }));
    expect(result).toMatchObject({ ok: false, ref: 'join' });
    if (!result.ok) expect(result.message).toContain('"admin"');
    const missing = decodeClientMessage(JSON.stringify({ type: 'signal', to: PEER }));
    if (!missing.ok) expect(missing.message).toContain('"data"');
  });

  it('names the retired rename in its refusal, and does not echo the name it carried', () => {
    const result = decodeClientMessage(JSON.stringify({ type: 'rename', name: 'Grace Hopper' }));
    expect(result).toMatchObject({ ok: false, code: ErrorCode.UnknownType, ref: 'rename' });
    if (!result.ok) expect(result.message).not.toContain('Grace Hopper');
  });

  it('does not echo long unknown types back', () => {
    const result = decodeClientMessage(JSON.stringify({ type: 'x'.repeat(1000) }));
    expect(result).toMatchObject({ ok: false, code: ErrorCode.UnknownType });
    if (!result.ok) expect(result.ref).toBeUndefined();
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
