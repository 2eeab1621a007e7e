/**
 * The STUN wire format (RFC 8489, formerly 5389) for the one thing Parley's built-in STUN server does:
 * answer a Binding request with the address and port it came from (XOR-MAPPED-ADDRESS), so that a
 * browser behind a NAT learns its public side. No authentication, no other methods. Pure functions
 * over bytes; the UDP socket is stun-server.ts's business.
 */
import { crc32 } from 'node:zlib';
import ipaddr from 'ipaddr.js';

export const MAGIC_COOKIE = 0x2112a442;
const HEADER_BYTES = 20;
const TRANSACTION_ID_BYTES = 12;

const BINDING_REQUEST = 0x0001;
const BINDING_SUCCESS = 0x0101;
const BINDING_ERROR = 0x0111;

const XOR_MAPPED_ADDRESS = 0x0020;
const ERROR_CODE = 0x0009;
const UNKNOWN_ATTRIBUTES = 0x000a;
const FINGERPRINT = 0x8028;
/** FINGERPRINT is the CRC-32 of the message before it, XORed with this ("STUN"). */
const FINGERPRINT_XOR = 0x5354554e;

/**
 * Comprehension-required attributes (type below 0x8000) a Binding request may carry that a server
 * without authentication reads past: credentials and ICE's connectivity-check attributes, which a
 * browser may send to any address it checks.
 */
const IGNORED_REQUIRED_ATTRIBUTES = new Set([
  0x0006, // USERNAME
  0x0008, // MESSAGE-INTEGRITY
  0x001c, // MESSAGE-INTEGRITY-SHA256
  0x0024, // PRIORITY
  0x0025, // USE-CANDIDATE
]);

/** What a datagram is, as far as the server is concerned. */
export type BindingRequest =
  | { kind: 'binding'; transactionId: Buffer }
  /** A Binding request with attributes it must understand and does not: answered with 420. */
  | { kind: 'unknown-attributes'; transactionId: Buffer; attributes: number[] }
  /** Anything else (not STUN, a response, an indication, a bad fingerprint): never answered. */
  | { kind: 'ignore'; reason: string };

/** Reads a datagram. Never throws: a malformed one is `ignore`, with the reason. */
export function parseBindingRequest(datagram: Buffer): BindingRequest {
  if (datagram.length < HEADER_BYTES) return { kind: 'ignore', reason: 'shorter than a STUN header' };
  const type = datagram.readUInt16BE(0);
  const length = datagram.readUInt16BE(2);
  if ((type & 0xc000) !== 0) return { kind: 'ignore', reason: 'not STUN (first two bits set)' };
  if (datagram.readUInt32BE(4) !== MAGIC_COOKIE) return { kind: 'ignore', reason: 'no magic cookie' };
  if (length % 4 !== 0 || HEADER_BYTES + length !== datagram.length) return { kind: 'ignore', reason: 'length does not match the datagram' };
  if (type !== BINDING_REQUEST) return { kind: 'ignore', reason: `message type 0x${type.toString(16).padStart(4, '0')} is not a Binding request` };

  const transactionId = Buffer.from(datagram.subarray(8, HEADER_BYTES));
  const unknown: number[] = [];
  for (let offset = HEADER_BYTES; offset < datagram.length; ) {
    if (offset + 4 > datagram.length) return { kind: 'ignore', reason: 'truncated attribute header' };
    const attribute = datagram.readUInt16BE(offset);
    const valueBytes = datagram.readUInt16BE(offset + 2);
    const next = offset + 4 + Math.ceil(valueBytes / 4) * 4;
    if (next > datagram.length) return { kind: 'ignore', reason: 'attribute runs past the end' };
    if (attribute === FINGERPRINT) {
      // The last attribute by definition; a wrong one means a corrupted or foreign datagram.
      if (valueBytes !== 4 || next !== datagram.length) return { kind: 'ignore', reason: 'FINGERPRINT is not the last attribute' };
      if (datagram.readUInt32BE(offset + 4) !== fingerprintOf(datagram.subarray(0, offset))) return { kind: 'ignore', reason: 'wrong FINGERPRINT' };
    } else if (attribute < 0x8000 && !IGNORED_REQUIRED_ATTRIBUTES.has(attribute)) {
      unknown.push(attribute);
    }
    offset = next;
  }
  if (unknown.length > 0) return { kind: 'unknown-attributes', transactionId, attributes: unknown };
  return { kind: 'binding', transactionId };
}

/** The Binding success response telling the client the address and port its request came from. */
export function bindingSuccess(transactionId: Buffer, address: string, port: number): Buffer {
  return withFingerprint(BINDING_SUCCESS, transactionId, [attribute(XOR_MAPPED_ADDRESS, xorMappedAddress(transactionId, address, port))]);
}

/** The 420 error response listing the attributes that were not understood. */
export function unknownAttributesError(transactionId: Buffer, attributes: readonly number[]): Buffer {
  const reason = Buffer.from('Unknown Attribute', 'utf8');
  const errorCode = Buffer.alloc(4 + reason.length);
  errorCode.writeUInt8(4, 2); // class 4…
  errorCode.writeUInt8(20, 3); // …number 20: 420
  reason.copy(errorCode, 4);
  const list = Buffer.alloc(attributes.length * 2);
  attributes.forEach((type, index) => list.writeUInt16BE(type, index * 2));
  return withFingerprint(BINDING_ERROR, transactionId, [attribute(ERROR_CODE, errorCode), attribute(UNKNOWN_ATTRIBUTES, list)]);
}

/**
 * XOR-MAPPED-ADDRESS's value: the port XORed with the cookie's high half, the address with the
 * cookie (and, for IPv6, the transaction id). An IPv4-mapped IPv6 address (a dual-stack socket's
 * view of an IPv4 client) is given as the IPv4 address it is.
 */
export function xorMappedAddress(transactionId: Buffer, address: string, port: number): Buffer {
  if (!ipaddr.isValid(address)) throw new Error(`not an IP address: ${address}`);
  const parsed = ipaddr.process(address);
  const raw = Buffer.from(parsed.toByteArray());
  const mask = Buffer.alloc(16);
  mask.writeUInt32BE(MAGIC_COOKIE, 0);
  transactionId.copy(mask, 4, 0, TRANSACTION_ID_BYTES);
  const value = Buffer.alloc(4 + raw.length);
  value.writeUInt8(parsed.kind() === 'ipv4' ? 1 : 2, 1);
  value.writeUInt16BE(port ^ (MAGIC_COOKIE >>> 16), 2);
  for (let index = 0; index < raw.length; index += 1) value[4 + index] = raw[index]! ^ mask[index]!;
  return value;
}

function attribute(type: number, value: Buffer): Buffer {
  const padded = Buffer.alloc(4 + Math.ceil(value.length / 4) * 4);
  padded.writeUInt16BE(type, 0);
  padded.writeUInt16BE(value.length, 2);
  value.copy(padded, 4);
  return padded;
}

function fingerprintOf(messageBefore: Buffer): number {
  return (crc32(messageBefore) ^ FINGERPRINT_XOR) >>> 0;
}

/** A message with its attributes and a FINGERPRINT, which browsers check when it is there. */
function withFingerprint(type: number, transactionId: Buffer, attributes: Buffer[]): Buffer {
  const body = Buffer.concat(attributes);
  const message = Buffer.alloc(HEADER_BYTES + body.length + 8);
  message.writeUInt16BE(type, 0);
  // The length covers the FINGERPRINT too, also while it is being computed.
  message.writeUInt16BE(body.length + 8, 2);
  message.writeUInt32BE(MAGIC_COOKIE, 4);
  transactionId.copy(message, 8, 0, TRANSACTION_ID_BYTES);
  body.copy(message, HEADER_BYTES);
  const at = HEADER_BYTES + body.length;
  message.writeUInt16BE(FINGERPRINT, at);
  message.writeUInt16BE(4, at + 2);
  message.writeUInt32BE(fingerprintOf(message.subarray(0, at)), at + 4);
  return message;
}
