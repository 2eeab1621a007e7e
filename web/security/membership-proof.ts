/**
 * Proving, on one data channel, that each side holds the room key and is the peer id it claims.
 * Each side sends a `prove` frame: its public key and session commit (which must give its peer
 * id), an HMAC of the connection's transcript with the membership key, and its signature over
 * the same transcript. The transcript binds both peer ids and both DTLS fingerprints as each side
 * applied them, so a proof is good for this connection only, and a certificate swapped in between
 * makes it fail (protocol/room-crypto.ts).
 */
import { base64url, fromBase64url, utf8 } from './encoding.js';
import { importPublicKey, peerIdFor, sign, verifySignature, type SigningIdentity } from './identity-keys.js';
import { proofTranscript } from '../../protocol/room-crypto.js';
import { PeerMessageType, type PeerMessage } from '../../protocol/peer.js';

export type ProveFrame = Extract<PeerMessage, { type: typeof PeerMessageType.Prove }>;

/** One connection as one side sees it. */
export interface ConnectionView {
  roomId: string;
  selfId: string;
  peerId: string;
  localFingerprint: string;
  remoteFingerprint: string;
}

/** Our `prove` frame for this connection. */
export async function makeProof(view: ConnectionView, identity: SigningIdentity, membershipKey: CryptoKey): Promise<ProveFrame> {
  const transcript = proofTranscript({
    roomId: view.roomId,
    proverId: view.selfId,
    verifierId: view.peerId,
    proverFingerprint: view.localFingerprint,
    verifierFingerprint: view.remoteFingerprint,
    proverKey: identity.publicKey,
    proverCommit: identity.commit,
  });
  const [mac, sig] = await Promise.all([crypto.subtle.sign('HMAC', membershipKey, utf8(transcript)), sign(identity.keys.privateKey, transcript)]);
  return { type: PeerMessageType.Prove, key: identity.publicKey, commit: identity.commit, proof: base64url(new Uint8Array(mac)), sig };
}

/** Why a peer's proof was refused. */
export type ProofFailure =
  /** Its key and commit do not give the peer id the server gave it. */
  | 'wrong-id'
  /** It does not hold the room key (or the connection was tampered with). */
  | 'no-room-key'
  /** The signature is not its key's (or the connection was tampered with). */
  | 'bad-signature';

export type ProofResult = { ok: true; publicKey: CryptoKey } | { ok: false; failure: ProofFailure };

/** Checks the peer's `prove` frame against this connection as we see it. */
export async function checkProof(view: ConnectionView, frame: ProveFrame, membershipKey: CryptoKey): Promise<ProofResult> {
  const transcript = proofTranscript({
    roomId: view.roomId,
    proverId: view.peerId,
    verifierId: view.selfId,
    proverFingerprint: view.remoteFingerprint,
    verifierFingerprint: view.localFingerprint,
    proverKey: frame.key,
    proverCommit: frame.commit,
  });
  // The checks are independent: run together, they cost one wait instead of one each.
  const [peerId, macOk, publicKey] = await Promise.all([
    peerIdFor(view.roomId, frame.key, frame.commit),
    crypto.subtle.verify('HMAC', membershipKey, fromBase64url(frame.proof), utf8(transcript)).catch(() => false),
    importPublicKey(frame.key),
  ]);
  if (peerId !== view.peerId) return { ok: false, failure: 'wrong-id' };
  if (!macOk) return { ok: false, failure: 'no-room-key' };
  if (!publicKey || !(await verifySignature(publicKey, frame.sig, transcript))) return { ok: false, failure: 'bad-signature' };
  return { ok: true, publicKey };
}
