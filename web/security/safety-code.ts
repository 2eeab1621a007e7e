/**
 * Safety codes: a short number both people on a connection can read to each other (in person, on
 * a call). It is derived from both identity keys and both DTLS certificates, so it comes out the
 * same in both browsers only when nobody sits between them; a new connection has a new code.
 */
import { SAFETY_CODE_DIGITS, safetyCodeInput, type SafetyCodeParty } from '../../protocol/room-crypto.js';
import { utf8 } from './encoding.js';

export async function safetyCode(a: SafetyCodeParty, b: SafetyCodeParty): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', utf8(safetyCodeInput(a, b))));
  // 64 bits of the digest reduced to 12 digits (the bias that leaves is far too small to exploit).
  let value = 0n;
  for (const byte of digest.subarray(0, 8)) value = (value << 8n) | BigInt(byte);
  const digits = (value % 10n ** BigInt(SAFETY_CODE_DIGITS)).toString().padStart(SAFETY_CODE_DIGITS, '0');
  return digits.match(/.{4}/g)!.join(' ');
}
