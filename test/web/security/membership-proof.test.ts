// Proofs on a connection, attacked: a server that put its own DTLS certificate between two members
// (each side sees different fingerprints), a peer without the room key, a peer claiming someone
// else's id, and a proof carried over from another connection.
import { beforeAll, describe, expect, it } from 'vitest';
import { checkProof, makeProof, type ConnectionView } from '../../../web/security/membership-proof.js';
import { createRoomKey, createSessionSecret, deriveRoomKeys, type RoomKeys } from '../../../web/security/room-keys.js';
import { generateSigningKeys, signingIdentity, type SigningIdentity } from '../../../web/security/identity-keys.js';
import { safetyCode } from '../../../web/security/safety-code.js';

const FP_ADA = 'sha-256 AA:AA:AA';
const FP_BOB = 'sha-256 BB:BB:BB';
const FP_MITM = 'sha-256 EE:EE:EE';

let keys: RoomKeys;
let ada: SigningIdentity;
let bob: SigningIdentity;

beforeAll(async () => {
  keys = await deriveRoomKeys(createRoomKey());
  ada = await signingIdentity(keys.roomId, createSessionSecret(), await generateSigningKeys());
  bob = await signingIdentity(keys.roomId, createSessionSecret(), await generateSigningKeys());
});

const view = (self: SigningIdentity, peer: SigningIdentity, local: string, remote: string): ConnectionView => ({
  roomId: keys.roomId,
  selfId: self.peerId,
  peerId: peer.peerId,
  localFingerprint: local,
  remoteFingerprint: remote,
});

describe('membership proofs', () => {
  it('check out between two members on the same connection, both ways', async () => {
    const fromAda = await makeProof(view(ada, bob, FP_ADA, FP_BOB), ada, keys.membershipKey);
    const fromBob = await makeProof(view(bob, ada, FP_BOB, FP_ADA), bob, keys.membershipKey);
    expect(await checkProof(view(bob, ada, FP_BOB, FP_ADA), fromAda, keys.membershipKey)).toMatchObject({ ok: true });
    expect(await checkProof(view(ada, bob, FP_ADA, FP_BOB), fromBob, keys.membershipKey)).toMatchObject({ ok: true });
  });

  it('fail when a certificate was swapped in between (each side saw another fingerprint)', async () => {
    // Ada's connection ends at the attacker (FP_MITM), and so does Bob's.
    const fromAda = await makeProof(view(ada, bob, FP_ADA, FP_MITM), ada, keys.membershipKey);
    expect(await checkProof(view(bob, ada, FP_BOB, FP_MITM), fromAda, keys.membershipKey)).toEqual({ ok: false, failure: 'no-room-key' });
  });

  it('fail without the room key', async () => {
    const otherRoom = await deriveRoomKeys(createRoomKey());
    const fromAda = await makeProof(view(ada, bob, FP_ADA, FP_BOB), ada, otherRoom.membershipKey);
    expect(await checkProof(view(bob, ada, FP_BOB, FP_ADA), fromAda, keys.membershipKey)).toEqual({ ok: false, failure: 'no-room-key' });
  });

  it("fail for a key that is not the one the peer id was made from (someone else's id)", async () => {
    const mallory = await signingIdentity(keys.roomId, createSessionSecret(), await generateSigningKeys());
    // Mallory holds the room key and answers on a connection the server labelled as Ada's.
    const proof = await makeProof({ ...view(mallory, bob, FP_ADA, FP_BOB), selfId: ada.peerId }, mallory, keys.membershipKey);
    expect(await checkProof(view(bob, ada, FP_BOB, FP_ADA), proof, keys.membershipKey)).toEqual({ ok: false, failure: 'wrong-id' });
    // Showing Ada's key and commit instead does not help: the signature must be Ada's.
    const borrowed = { ...proof, key: ada.publicKey, commit: ada.commit };
    expect((await checkProof(view(bob, ada, FP_BOB, FP_ADA), borrowed, keys.membershipKey)).ok).toBe(false);
  });

  it('fail on any other connection than the one they were made for', async () => {
    const fromAda = await makeProof(view(ada, bob, FP_ADA, FP_BOB), ada, keys.membershipKey);
    expect((await checkProof(view(bob, ada, 'sha-256 B2:B2', 'sha-256 A2:A2'), fromAda, keys.membershipKey)).ok).toBe(false);
  });

  it('fail with a bad signature', async () => {
    const fromAda = await makeProof(view(ada, bob, FP_ADA, FP_BOB), ada, keys.membershipKey);
    const sig = `${fromAda.sig.slice(0, -2)}${fromAda.sig.endsWith('AA') ? 'AB' : 'AA'}`;
    expect(await checkProof(view(bob, ada, FP_BOB, FP_ADA), { ...fromAda, sig }, keys.membershipKey)).toEqual({ ok: false, failure: 'bad-signature' });
  });
});

describe('safety codes', () => {
  it('are the same in both browsers, and differ when anything sits between them', async () => {
    const atAda = await safetyCode({ id: ada.peerId, key: ada.publicKey, fingerprint: FP_ADA }, { id: bob.peerId, key: bob.publicKey, fingerprint: FP_BOB });
    const atBob = await safetyCode({ id: bob.peerId, key: bob.publicKey, fingerprint: FP_BOB }, { id: ada.peerId, key: ada.publicKey, fingerprint: FP_ADA });
    expect(atAda).toMatch(/^\d{4} \d{4} \d{4}$/);
    expect(atBob).toBe(atAda);
    const withMitm = await safetyCode({ id: ada.peerId, key: ada.publicKey, fingerprint: FP_ADA }, { id: bob.peerId, key: bob.publicKey, fingerprint: FP_MITM });
    expect(withMitm).not.toBe(atAda);
  });
});
