/**
 * A participant's identity in a room: an ECDSA P-256 signing key pair made by WebCrypto (the
 * private key is not extractable), and the peer id it is bound to (protocol/ids.ts). Members check
 * that binding from the public key and the session commit a peer shows them, so a peer id cannot
 * be paired with anyone else's key, and every message can be checked against its author's id.
 */
import { base64url, fromBase64url, sha256Base64url, utf8 } from './encoding.js';
import { PEER_ID_LENGTH, peerIdHashInput, sessionCommitHashInput } from '../../protocol/ids.js';

export const SIGNING_ALGORITHM: EcKeyGenParams & EcKeyImportParams = { name: 'ECDSA', namedCurve: 'P-256' };
const SIGNATURE_PARAMS: EcdsaParams = { name: 'ECDSA', hash: 'SHA-256' };

/** A fresh signing key pair whose private half cannot be exported. */
export function generateSigningKeys(): Promise<CryptoKeyPair> {
  return crypto.subtle.generateKey(SIGNING_ALGORITHM, false, ['sign', 'verify']);
}

/** The public key, raw (uncompressed point), base64url: what peers are shown. */
export async function exportPublicKey(key: CryptoKey): Promise<string> {
  return base64url(new Uint8Array(await crypto.subtle.exportKey('raw', key)));
}

/** A peer's public key from its base64url raw form; undefined when it is not a P-256 point. */
export async function importPublicKey(raw: string): Promise<CryptoKey | undefined> {
  try {
    return await crypto.subtle.importKey('raw', fromBase64url(raw), SIGNING_ALGORITHM, false, ['verify']);
  } catch {
    return undefined;
  }
}

export async function sign(privateKey: CryptoKey, text: string): Promise<string> {
  return base64url(new Uint8Array(await crypto.subtle.sign(SIGNATURE_PARAMS, privateKey, utf8(text))));
}

export async function verifySignature(publicKey: CryptoKey, signature: string, text: string): Promise<boolean> {
  try {
    return await crypto.subtle.verify(SIGNATURE_PARAMS, publicKey, fromBase64url(signature), utf8(text));
  } catch {
    return false;
  }
}

/** The commit of a session secret: shown to peers instead of the secret (protocol/ids.ts). */
export function sessionCommit(sessionSecret: string): Promise<string> {
  return sha256Base64url(sessionCommitHashInput(sessionSecret));
}

/** The digest of a public key that goes into the peer id (and into `join`): SHA-256 of its raw bytes. */
export function publicKeyDigest(publicKey: string): Promise<string> {
  return sha256Base64url(fromBase64url(publicKey));
}

/** The peer id that a public key and a session commit give in a room (the server derives the same). */
export async function peerIdFor(roomId: string, publicKey: string, commit: string): Promise<string> {
  return (await sha256Base64url(peerIdHashInput(roomId, await publicKeyDigest(publicKey), commit))).slice(0, PEER_ID_LENGTH);
}

/** This participant, as the room needs it. */
export interface SigningIdentity {
  readonly peerId: string;
  /** base64url raw public key. */
  readonly publicKey: string;
  readonly publicKeyDigest: string;
  readonly commit: string;
  readonly keys: CryptoKeyPair;
}

/** Builds this participant's identity in a room from its session secret and key pair. */
export async function signingIdentity(roomId: string, sessionSecret: string, keys: CryptoKeyPair): Promise<SigningIdentity> {
  const commitWork = sessionCommit(sessionSecret);
  const publicKey = await exportPublicKey(keys.publicKey);
  const [commit, digest] = await Promise.all([commitWork, publicKeyDigest(publicKey)]);
  const peerId = (await sha256Base64url(peerIdHashInput(roomId, digest, commit))).slice(0, PEER_ID_LENGTH);
  return { peerId, publicKey, publicKeyDigest: digest, commit, keys };
}
