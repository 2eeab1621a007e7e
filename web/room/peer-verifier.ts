/**
 * The gate on every data channel: no history, chat or name crosses a connection until the other
 * side has proven, on this very connection, that it holds the room key and the signing key of the
 * peer id the server gave it (web/security/membership-proof.ts). Each side sends its proof as the
 * first frame; a peer whose proof fails, or that sends none in time, is refused.
 */
import { Emitter } from '../shared/emitter.js';
import { systemClock, type Clock, type TimerHandle } from '../shared/clock.js';
import { checkProof, makeProof, type ConnectionView, type ProofFailure, type ProveFrame } from '../security/membership-proof.js';
import { safetyCode } from '../security/safety-code.js';
import type { SigningIdentity } from '../security/identity-keys.js';
import type { ConnectionFingerprints } from '../transport/sdp-fingerprint.js';
import { encodePeerMessage } from '../../protocol/peer.js';

/** A peer that sends no proof within this long after its channel opened is refused. */
export const PROOF_TIMEOUT_MS = 10_000;

/** Why a connection was refused: a proof failure, no proof in time, or no certificate to bind to. */
export type VerificationFailure = ProofFailure | 'no-proof' | 'no-fingerprint';

/** A peer proven on its current connection. */
export interface ProvenPeer {
  readonly id: string;
  /** base64url raw public signing key, and its imported form. */
  readonly publicKey: string;
  readonly key: CryptoKey;
  readonly commit: string;
  /** The code both people can compare for this connection (web/security/safety-code.ts). */
  readonly safetyCode: string;
}

interface PeerVerifierEvents {
  proven: ProvenPeer;
  refused: { id: string; failure: VerificationFailure };
}

export interface PeerVerifierOptions {
  roomId: string;
  self: SigningIdentity;
  membershipKey: CryptoKey;
  /** Writes a frame to the peer's open channel, before it is proven (only the proof goes this way). */
  sendRaw: (peerId: string, frame: string) => void;
  clock?: Clock;
}

/** One connection's verification. */
interface LinkCheck {
  /** Counts the connections to one peer, so a frame from an earlier one is never taken for this one's. */
  readonly number: number;
  readonly view: ConnectionView | undefined;
  proven?: ProvenPeer;
  /** Settled (proven or refused): later proofs on this connection are ignored. */
  settled: boolean;
  timer?: TimerHandle;
}

export class PeerVerifier extends Emitter<PeerVerifierEvents> {
  readonly #options: PeerVerifierOptions;
  readonly #clock: Clock;
  readonly #links = new Map<string, LinkCheck>();
  #linksOpened = 0;

  constructor(options: PeerVerifierOptions) {
    super();
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
  }

  /** A channel to `peerId` opened: send our proof and wait for theirs. */
  linkOpened(peerId: string, fingerprints: ConnectionFingerprints | undefined): void {
    this.linkClosed(peerId);
    const { roomId, self, membershipKey, sendRaw } = this.#options;
    const view: ConnectionView | undefined = fingerprints && {
      roomId,
      selfId: self.peerId,
      peerId,
      localFingerprint: fingerprints.local,
      remoteFingerprint: fingerprints.remote,
    };
    this.#linksOpened += 1;
    const check: LinkCheck = { number: this.#linksOpened, view, settled: false };
    this.#links.set(peerId, check);
    if (!view) {
      this.refuse(peerId, check, 'no-fingerprint');
      return;
    }
    check.timer = this.#clock.setTimeout(() => this.refuse(peerId, check, 'no-proof'), PROOF_TIMEOUT_MS);
    void makeProof(view, self, membershipKey).then((frame) => {
      if (this.#links.get(peerId) === check) sendRaw(peerId, encodePeerMessage(frame));
    });
  }

  /**
   * The number of the current connection to `peerId`: read when a frame arrives (a channel's
   * frames always come after its open), and given back with the frame to receiveProof.
   */
  linkNumber(peerId: string): number | undefined {
    return this.#links.get(peerId)?.number;
  }

  /** The peer's proof arrived on the connection numbered `linkNumber`. */
  async receiveProof(peerId: string, frame: ProveFrame, linkNumber: number | undefined): Promise<void> {
    const check = this.#links.get(peerId);
    // A proof from an earlier connection says nothing about this one.
    if (!check?.view || check.settled || check.number !== linkNumber) return;
    const { self } = this.#options;
    // The safety code is worked out alongside the check (it is only shown if the proof holds).
    const [result, code] = await Promise.all([
      checkProof(check.view, frame, this.#options.membershipKey),
      safetyCode(
        { id: self.peerId, key: self.publicKey, fingerprint: check.view.localFingerprint },
        { id: peerId, key: frame.key, fingerprint: check.view.remoteFingerprint },
      ),
    ]);
    if (this.#links.get(peerId) !== check || check.settled) return;
    if (!result.ok) {
      this.refuse(peerId, check, result.failure);
      return;
    }
    if (this.#links.get(peerId) !== check || check.settled) return;
    this.#clock.clearTimeout(check.timer);
    check.settled = true;
    check.proven = { id: peerId, publicKey: frame.key, key: result.publicKey, commit: frame.commit, safetyCode: code };
    this.emit('proven', check.proven);
  }

  /** The peer proven on its current connection, if it is. */
  provenPeer(peerId: string): ProvenPeer | undefined {
    return this.#links.get(peerId)?.proven;
  }

  isProven(peerId: string): boolean {
    return this.#links.get(peerId)?.proven !== undefined;
  }

  /** The connection to `peerId` is gone; a new one starts from nothing. */
  linkClosed(peerId: string): void {
    const check = this.#links.get(peerId);
    if (!check) return;
    this.#clock.clearTimeout(check.timer);
    this.#links.delete(peerId);
  }

  dispose(): void {
    for (const id of [...this.#links.keys()]) this.linkClosed(id);
    this.removeAllListeners();
  }

  private refuse(peerId: string, check: LinkCheck, failure: VerificationFailure): void {
    if (check.settled) return;
    check.settled = true;
    this.#clock.clearTimeout(check.timer);
    this.emit('refused', { id: peerId, failure });
  }
}
