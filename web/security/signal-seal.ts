/**
 * Sealing signal payloads end to end. Offers, answers and candidates go through the signaling
 * server as AES-GCM ciphertext under a key derived from the room key, with the room, sender,
 * recipient, kind and the sender's counter as associated data (protocol/room-crypto.ts). The server
 * can drop or delay them, nothing more: a changed, redirected, replayed or reordered payload does
 * not open, and since the SDP carries the DTLS fingerprint, a data channel can only open between
 * two holders of the room key.
 */
import * as v from 'valibot';
import { base64url, fromBase64url, utf8 } from './encoding.js';
import { SealedSignalSchema, SEAL_IV_BYTES, signalAssociatedData, signalKindOf, type SealedSignalFields } from '../../protocol/room-crypto.js';
import type { SignalData } from '../../protocol/signaling.js';

/** Why a payload did not open. */
export type UnsealFailure =
  /** Not a sealed payload at all (a plain offer, or junk). */
  | 'malformed'
  /** Its counter is not above the last one opened from that sender: a replay or a reordering. */
  | 'replayed'
  /** The tag did not verify: changed bytes, another sender, recipient, room, kind or counter. */
  | 'forged';

export type UnsealResult = { ok: true; data: SignalData } | { ok: false; failure: UnsealFailure };

export interface SignalSealOptions {
  roomId: string;
  selfId: string;
  key: CryptoKey;
  /** Milliseconds since the epoch; the counter starts from it, so it keeps rising across reloads. */
  now: () => number;
}

const decoder = new TextDecoder();

export class SignalSeal {
  readonly #options: SignalSealOptions;
  #counter = 0;
  /**
   * The highest counter opened from each sender, for the life of the page: a sender that reloads
   * goes on from its clock, so its later payloads still count higher.
   */
  readonly #opened = new Map<string, number>();
  /** Payloads are opened one at a time, in the order they arrived. */
  #openQueue: Promise<unknown> = Promise.resolve();

  constructor(options: SignalSealOptions) {
    this.#options = options;
  }

  /**
   * Seals a payload for `to`. The counter is taken at the call, so payloads sealed in some order
   * must be sent in that order (the receiver refuses a lower counter after a higher one).
   */
  seal(to: string, data: SignalData): Promise<SealedSignalFields> {
    // Microseconds of the clock, or one more than the last: strictly rising, also after a reload.
    this.#counter = Math.max(this.#counter + 1, this.#options.now() * 1000);
    const counter = this.#counter;
    const kind = signalKindOf(data);
    const { roomId, selfId, key } = this.#options;
    return (async () => {
      const iv = crypto.getRandomValues(new Uint8Array(SEAL_IV_BYTES));
      const additionalData = utf8(signalAssociatedData(roomId, selfId, to, kind, counter));
      const sealed = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData }, key, utf8(JSON.stringify(data))));
      const bytes = new Uint8Array(iv.length + sealed.length);
      bytes.set(iv);
      bytes.set(sealed, iv.length);
      return { k: kind, n: counter, c: base64url(bytes) };
    })();
  }

  /**
   * Opens a payload the server delivered from `from`; results come in the order of the calls.
   * Payloads are decrypted as they come (in parallel), and their counters are checked and taken
   * one at a time, in arrival order.
   */
  open(from: string, sealed: unknown): Promise<UnsealResult> {
    const decrypted = this.decrypt(from, sealed);
    const result = this.#openQueue.then(async (): Promise<UnsealResult> => {
      const outcome = await decrypted;
      if (!outcome.ok) return outcome;
      if (outcome.counter <= (this.#opened.get(from) ?? 0)) return { ok: false, failure: 'replayed' };
      this.#opened.set(from, outcome.counter);
      return { ok: true, data: outcome.data };
    });
    this.#openQueue = result;
    return result;
  }

  /** The payload's contents and counter, if it opens; its counter is not checked here. */
  private async decrypt(from: string, sealed: unknown): Promise<{ ok: true; data: SignalData; counter: number } | { ok: false; failure: UnsealFailure }> {
    const parsed = v.safeParse(SealedSignalSchema, sealed);
    if (!parsed.success) return { ok: false, failure: 'malformed' };
    const { k: kind, n: counter, c: text } = parsed.output;
    let bytes: Uint8Array<ArrayBuffer>;
    try {
      bytes = fromBase64url(text);
    } catch {
      return { ok: false, failure: 'malformed' };
    }
    if (bytes.length <= SEAL_IV_BYTES) return { ok: false, failure: 'malformed' };
    const { roomId, selfId, key } = this.#options;
    let plain: ArrayBuffer;
    try {
      const additionalData = utf8(signalAssociatedData(roomId, from, selfId, kind, counter));
      plain = await crypto.subtle.decrypt({ name: 'AES-GCM', iv: bytes.subarray(0, SEAL_IV_BYTES), additionalData }, key, bytes.subarray(SEAL_IV_BYTES));
    } catch {
      return { ok: false, failure: 'forged' };
    }
    let data: unknown;
    try {
      data = JSON.parse(decoder.decode(plain));
    } catch {
      return { ok: false, failure: 'malformed' };
    }
    // Sealed by a key holder, yet not an object of the stated kind: treat as forged.
    if (typeof data !== 'object' || data === null || Array.isArray(data) || signalKindOf(data as SignalData) !== kind) {
      return { ok: false, failure: 'forged' };
    }
    return { ok: true, data: data as SignalData, counter };
  }
}
