// The STUN wire format of the built-in STUN server, against the test vectors of RFC 5769.
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { bindingSuccess, parseBindingRequest, unknownAttributesError, xorMappedAddress } from '../../../signaling/stun/binding.js';

const hex = (text: string): Buffer => Buffer.from(text.replace(/\s+/g, ''), 'hex');

const TRANSACTION_ID = hex('b7e7a701 bc34d686 fa87dfae');

/** RFC 5769 §2.1: a Binding request as ICE sends it (SOFTWARE, PRIORITY, ICE-CONTROLLED, USERNAME, MESSAGE-INTEGRITY, FINGERPRINT). */
const SAMPLE_REQUEST = hex(`
  00010058 2112a442 b7e7a701 bc34d686 fa87dfae
  80220010 5354554e 20746573 7420636c 69656e74
  00240004 6e0001ff
  80290008 932ff9b1 51263b36
  00060009 6576746a 3a683676 59202020
  00080014 9aeaa70c bfd8cb56 781ef2b5 b2d3f249 c1b571a2
  80280004 e57a3bcf`);

/** A Binding request with no attributes, as a browser sends to a STUN server. */
function plainRequest(transactionId = TRANSACTION_ID): Buffer {
  return Buffer.concat([hex('0001 0000 2112a442'), transactionId]);
}

describe('XOR-MAPPED-ADDRESS', () => {
  it('encodes 192.0.2.1:32853 as RFC 5769 §2.2 does', () => {
    expect(xorMappedAddress(TRANSACTION_ID, '192.0.2.1', 32853).toString('hex')).toBe('0001a147e112a643');
  });

  it('encodes [2001:db8:1234:5678:11:2233:4455:6677]:32853 as RFC 5769 §2.3 does', () => {
    expect(xorMappedAddress(TRANSACTION_ID, '2001:db8:1234:5678:11:2233:4455:6677', 32853).toString('hex')).toBe(
      '0002a147' + '0113a9faa5d3f179bc25f4b5bed2b9d9',
    );
  });

  it('gives an IPv4 client seen by a dual-stack socket as the IPv4 address it is', () => {
    expect(xorMappedAddress(TRANSACTION_ID, '::ffff:192.0.2.1', 32853)).toEqual(xorMappedAddress(TRANSACTION_ID, '192.0.2.1', 32853));
  });

  it('refuses what is not an IP address', () => {
    expect(() => xorMappedAddress(TRANSACTION_ID, 'example.org', 1)).toThrow(/not an IP address/);
  });
});

describe('parseBindingRequest', () => {
  it("reads RFC 5769's sample request as a Binding request (its FINGERPRINT checked, ICE's attributes read past)", () => {
    expect(parseBindingRequest(SAMPLE_REQUEST)).toEqual({ kind: 'binding', transactionId: TRANSACTION_ID });
  });

  it('reads a Binding request with no attributes', () => {
    expect(parseBindingRequest(plainRequest())).toEqual({ kind: 'binding', transactionId: TRANSACTION_ID });
  });

  it('lists comprehension-required attributes it does not know, for a 420 answer', () => {
    const request = Buffer.concat([hex('0001 0010 2112a442'), TRANSACTION_ID, hex('00030004 00000000'), hex('7fff0001 41000000')]);
    expect(parseBindingRequest(request)).toEqual({ kind: 'unknown-attributes', transactionId: TRANSACTION_ID, attributes: [0x0003, 0x7fff] });
  });

  it.each([
    ['a datagram shorter than a header', hex('0001 0000 2112a442'), 'shorter than a STUN header'],
    ['one byte of the sample changed (the FINGERPRINT no longer matches)', Buffer.from(SAMPLE_REQUEST).fill(0x41, 30, 31), 'wrong FINGERPRINT'],
    ['a request without the magic cookie (RFC 3489)', Buffer.concat([hex('0001 0000 00000000'), TRANSACTION_ID]), 'no magic cookie'],
    ['a length that does not match the datagram', Buffer.concat([hex('0001 0004 2112a442'), TRANSACTION_ID]), 'length does not match the datagram'],
    ['a Binding response', Buffer.concat([hex('0101 0000 2112a442'), TRANSACTION_ID]), 'is not a Binding request'],
    ['a Binding indication', Buffer.concat([hex('0011 0000 2112a442'), TRANSACTION_ID]), 'is not a Binding request'],
    ['an attribute running past the end', Buffer.concat([hex('0001 0004 2112a442'), TRANSACTION_ID, hex('80220010')]), 'attribute runs past the end'],
    ['an RTP or DTLS packet (first bits set)', Buffer.concat([hex('8001 0000 2112a442'), TRANSACTION_ID]), 'first two bits set'],
  ])('ignores %s', (_what, datagram, reason) => {
    const parsed = parseBindingRequest(datagram);
    expect(parsed.kind).toBe('ignore');
    expect(parsed.kind === 'ignore' && parsed.reason).toContain(reason);
  });
});

describe('the answers', () => {
  it('a success carries the transaction id, the XOR-MAPPED-ADDRESS and a FINGERPRINT that checks', () => {
    const answer = bindingSuccess(TRANSACTION_ID, '192.0.2.1', 32853);
    expect(answer.subarray(0, 8).toString('hex')).toBe('0101' + '0014' + '2112a442');
    expect(answer.subarray(8, 20)).toEqual(TRANSACTION_ID);
    expect(answer.subarray(20, 32).toString('hex')).toBe('00200008' + '0001a147e112a643');
    // FINGERPRINT (RFC 8489 §14.7): the CRC-32 of all before it, XOR 0x5354554e.
    expect(answer.subarray(-8, -4).toString('hex')).toBe('80280004');
    expect(answer.readUInt32BE(answer.length - 4)).toBe((crc32(answer.subarray(0, -8)) ^ 0x5354554e) >>> 0);
  });

  it('a 420 names the error and lists the unknown attributes', () => {
    const answer = unknownAttributesError(TRANSACTION_ID, [0x0003, 0x7fff]);
    expect(answer.readUInt16BE(0)).toBe(0x0111);
    expect(answer.readUInt16BE(2)).toBe(answer.length - 20);
    expect(answer.subarray(20, 28).toString('hex')).toBe('00090015' + '00000414');
    expect(answer.toString('latin1')).toContain('Unknown Attribute');
    expect(answer.subarray(-16, -8).toString('hex')).toBe('000a0004' + '00037fff');
  });
});
