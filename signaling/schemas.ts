/**
 * Runtime validation of what reaches the server: the client frames (TypeBox, compiled by ajv in
 * decode-client-message.ts) and the operator's ICE server list. Server only: the browser imports
 * the plain types of protocol/signaling.ts, and the compiler holds each schema here to its type
 * there (the checks at the end), so the two cannot drift apart.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { ClientMessageType } from '../protocol/signaling.js';
import type { IceServer, JoinMessage, LeaveMessage, RefreshIceServersMessage, SignalRequest } from '../protocol/signaling.js';
import { DIGEST_PATTERN, PEER_ID_PATTERN, ROOM_ID_PATTERN, SESSION_SECRET_PATTERN } from '../protocol/ids.js';

const PeerId = Type.String({ pattern: PEER_ID_PATTERN });
const RoomId = Type.String({ pattern: ROOM_ID_PATTERN });
const SignalData = Type.Record(Type.String(), Type.Unknown());

const IceServerUrl = Type.String({ pattern: '^(stun|stuns|turn|turns):', maxLength: 512 });

export const IceServerSchema = Type.Object(
  {
    urls: Type.Union([IceServerUrl, Type.Array(IceServerUrl, { minItems: 1, maxItems: 16 })]),
    username: Type.Optional(Type.String({ maxLength: 512 })),
    credential: Type.Optional(Type.String({ maxLength: 512 })),
  },
  { additionalProperties: false },
);
export const IceServerListSchema = Type.Array(IceServerSchema, { maxItems: 32 });

export const JoinMessageSchema = Type.Object(
  {
    type: Type.Literal(ClientMessageType.Join),
    v: Type.Integer({ minimum: 1 }),
    room: RoomId,
    session: Type.String({ pattern: SESSION_SECRET_PATTERN }),
    key: Type.String({ pattern: DIGEST_PATTERN }),
  },
  { additionalProperties: false },
);

export const SignalRequestSchema = Type.Object(
  { type: Type.Literal(ClientMessageType.Signal), to: PeerId, data: SignalData },
  { additionalProperties: false },
);

export const LeaveMessageSchema = Type.Object({ type: Type.Literal(ClientMessageType.Leave) }, { additionalProperties: false });

export const RefreshIceServersMessageSchema = Type.Object({ type: Type.Literal(ClientMessageType.RefreshIceServers) }, { additionalProperties: false });

/** The schema of each client message, by type: one compiled validator per entry. */
export const ClientMessageSchemas = {
  [ClientMessageType.Join]: JoinMessageSchema,
  [ClientMessageType.Signal]: SignalRequestSchema,
  [ClientMessageType.Leave]: LeaveMessageSchema,
  [ClientMessageType.RefreshIceServers]: RefreshIceServersMessageSchema,
} as const satisfies Record<ClientMessageType, TSchema>;

// ---- each schema validates exactly its protocol type ---------------------------------------
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
function holds<T extends true>(): T | undefined {
  return undefined;
}
holds<Same<Static<typeof JoinMessageSchema>, JoinMessage>>();
holds<Same<Static<typeof SignalRequestSchema>, SignalRequest>>();
holds<Same<Static<typeof LeaveMessageSchema>, LeaveMessage>>();
holds<Same<Static<typeof RefreshIceServersMessageSchema>, RefreshIceServersMessage>>();
holds<Same<Static<typeof IceServerSchema>, IceServer>>();
