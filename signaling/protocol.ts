/**
 * The signaling wire contract, shared by the server (signaling/) and the browser (web/).
 *
 * Every frame is one JSON object with a `type`. Schemas are TypeBox, so the TypeScript types below
 * are derived from the very objects the server validates against; docs/protocol.md describes the
 * same contract for people. Pure TypeScript: no Node and no DOM imports, so web/ can import it.
 */
import { Type, type Static } from '@sinclair/typebox';

/** Bumped on any incompatible change; a client announces the version it speaks in `join`. */
export const PROTOCOL_VERSION = 1;

/** Path of the WebSocket endpoint on the signaling server. */
export const SIGNAL_PATH = '/signal';

/** Room ids are base64url(SHA-256(room key)): 32 bytes, 43 characters without padding. */
export const ROOM_ID_PATTERN = '^[A-Za-z0-9_-]{43}$';

/** Peer ids are 22 base64url characters (132 bits), derived by the server (see below). */
export const PEER_ID_PATTERN = '^[A-Za-z0-9_-]{22}$';

/**
 * A session secret: at least 128 random bits in base64url, made by the client and kept for the
 * life of its tab (sessionStorage), so that a reload or a reconnect is the same participant.
 */
export const SESSION_SECRET_PATTERN = '^[A-Za-z0-9_-]{22,64}$';

/**
 * peer id = first 22 characters of base64url(SHA-256(PEER_ID_CONTEXT + room id + ":" + session)).
 * The secret never leaves the connection that presents it, and the id cannot be turned back into
 * the secret, so nobody can take over someone else's id; the same tab gets the same id again.
 */
export const PEER_ID_CONTEXT = 'parley/peer-id/v1:';

/** How many characters of the digest's base64url form make the peer id. */
export const PEER_ID_LENGTH = 22;

/** The text whose SHA-256 gives the peer id; each side hashes it with its own SHA-256. */
export function peerIdHashInput(roomId: string, sessionSecret: string): string {
  return `${PEER_ID_CONTEXT}${roomId}:${sessionSecret}`;
}

export const MAX_NAME_LENGTH = 64;

/**
 * A display name: 1–64 characters, not blank, no control characters (they would break a log line
 * or a layout and no keyboard types them).
 */
export const NAME_PATTERN = '^[^\\u0000-\\u001f\\u007f]*[^\\s\\u0000-\\u001f\\u007f][^\\u0000-\\u001f\\u007f]*$';

export const ClientMessageType = {
  Join: 'join',
  Signal: 'signal',
  Rename: 'rename',
  Leave: 'leave',
} as const;
export type ClientMessageType = (typeof ClientMessageType)[keyof typeof ClientMessageType];

export const ServerMessageType = {
  Welcome: 'welcome',
  PeerJoined: 'peer-joined',
  PeerLeft: 'peer-left',
  PeerRenamed: 'peer-renamed',
  Signal: 'signal',
  Error: 'error',
} as const;
export type ServerMessageType = (typeof ServerMessageType)[keyof typeof ServerMessageType];

/**
 * Why a member is gone, in `peer-left`: it said so with `leave` (its direct connections are closing
 * too), or its connection closed or died without that (its direct connections may still work).
 */
export const LeaveReason = {
  Left: 'left',
  Lost: 'lost',
} as const;
export type LeaveReason = (typeof LeaveReason)[keyof typeof LeaveReason];

/** Stable error codes carried by `error` frames. Clients may switch on them; never renamed. */
export const ErrorCode = {
  /** The frame is not valid JSON. */
  BadJson: 'bad-json',
  /** The frame is JSON but not an object with a known `type`. */
  UnknownType: 'unknown-type',
  /** The frame has a known `type` but its fields do not match the schema. */
  InvalidMessage: 'invalid-message',
  /** The frame is larger than the server's frame limit (it was not parsed). */
  FrameTooLarge: 'frame-too-large',
  /** The client speaks a protocol version this server does not. The socket is then closed. */
  UnsupportedVersion: 'unsupported-version',
  /** The room already has as many members as the server allows. The socket is then closed. */
  RoomFull: 'room-full',
  /** `signal`, `rename` or `leave` before `join`. */
  NotJoined: 'not-joined',
  /** `join` on a socket that is already in a room. */
  AlreadyJoined: 'already-joined',
  /** `signal` addressed to an id that is not another member of the sender's room. */
  UnknownPeer: 'unknown-peer',
  /** Too many frames too fast; this frame was dropped. Persistent flooding closes with 4008. */
  RateLimited: 'rate-limited',
  /** Something failed on the server; the frame was dropped. Details are in the server log only. */
  Internal: 'internal',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/**
 * WebSocket close codes the server uses. 1000–1015 are the standard ones; 4000–4999 are Parley's.
 * A client should not reconnect automatically after 4001, 4002 or 4003: trying again cannot help.
 */
export const CloseCode = {
  /** The client left, or the server closed an idle socket. */
  Normal: 1000,
  /** The server is shutting down; reconnecting shortly is the right reaction. */
  GoingAway: 1001,
  /** A text frame was not valid UTF-8 (sent by the WebSocket layer itself). */
  InvalidPayload: 1007,
  /** A frame exceeded the hard size cap; the connection cannot be trusted to resynchronise. */
  MessageTooBig: 1009,
  UnsupportedVersion: 4001,
  RoomFull: 4002,
  /** The same participant (same session secret) joined again on another connection. */
  Replaced: 4003,
  /** The connection did not join a room in time. */
  JoinTimeout: 4004,
  /** The connection kept flooding the server after `rate-limited` errors. */
  RateLimited: 4008,
} as const;

/** Close codes after which a client must not reconnect on its own. */
export const FINAL_CLOSE_CODES: readonly number[] = [CloseCode.UnsupportedVersion, CloseCode.RoomFull, CloseCode.Replaced];
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

const PeerId = Type.String({ pattern: PEER_ID_PATTERN });
const RoomId = Type.String({ pattern: ROOM_ID_PATTERN });
const DisplayName = Type.String({ minLength: 1, maxLength: MAX_NAME_LENGTH, pattern: NAME_PATTERN });

/**
 * An opaque WebRTC signaling payload (SDP offer/answer or ICE candidate). The server relays it
 * without looking inside and never logs it.
 */
export const SignalDataSchema = Type.Record(Type.String(), Type.Unknown());
export type SignalData = Static<typeof SignalDataSchema>;

/** One entry of RTCConfiguration.iceServers, as the operator configures it. */
export const IceServerSchema = Type.Object(
  {
    urls: Type.Union([
      Type.String({ pattern: '^(stun|stuns|turn|turns):', maxLength: 512 }),
      Type.Array(Type.String({ pattern: '^(stun|stuns|turn|turns):', maxLength: 512 }), { minItems: 1, maxItems: 16 }),
    ]),
    username: Type.Optional(Type.String({ maxLength: 512 })),
    credential: Type.Optional(Type.String({ maxLength: 512 })),
  },
  { additionalProperties: false },
);
export type IceServer = Static<typeof IceServerSchema>;
export const IceServerListSchema = Type.Array(IceServerSchema, { maxItems: 32 });

export const MemberSchema = Type.Object({ id: PeerId, name: DisplayName }, { additionalProperties: false });
export type Member = Static<typeof MemberSchema>;

// ---- client → server ------------------------------------------------------------------------

export const JoinMessageSchema = Type.Object(
  {
    type: Type.Literal(ClientMessageType.Join),
    v: Type.Integer({ minimum: 1 }),
    room: RoomId,
    name: DisplayName,
    /** The client's session secret; the server derives the peer id from it and forgets it. */
    session: Type.String({ pattern: SESSION_SECRET_PATTERN }),
  },
  { additionalProperties: false },
);

export const SignalRequestSchema = Type.Object(
  {
    type: Type.Literal(ClientMessageType.Signal),
    to: PeerId,
    data: SignalDataSchema,
  },
  { additionalProperties: false },
);

export const RenameMessageSchema = Type.Object(
  { type: Type.Literal(ClientMessageType.Rename), name: DisplayName },
  { additionalProperties: false },
);

export const LeaveMessageSchema = Type.Object(
  { type: Type.Literal(ClientMessageType.Leave) },
  { additionalProperties: false },
);

/** The schema of each client message, by type: the server compiles one validator per entry. */
export const ClientMessageSchemas = {
  [ClientMessageType.Join]: JoinMessageSchema,
  [ClientMessageType.Signal]: SignalRequestSchema,
  [ClientMessageType.Rename]: RenameMessageSchema,
  [ClientMessageType.Leave]: LeaveMessageSchema,
} as const;

export type JoinMessage = Static<typeof JoinMessageSchema>;
export type SignalRequest = Static<typeof SignalRequestSchema>;
export type RenameMessage = Static<typeof RenameMessageSchema>;
export type LeaveMessage = Static<typeof LeaveMessageSchema>;
export type ClientMessage = JoinMessage | SignalRequest | RenameMessage | LeaveMessage;

// ---- server → client ------------------------------------------------------------------------

export const WelcomeMessageSchema = Type.Object({
  type: Type.Literal(ServerMessageType.Welcome),
  v: Type.Integer(),
  /** The id the server assigned to this socket; other members see it as `from`. */
  id: PeerId,
  room: RoomId,
  /** The other members already in the room; the newcomer connects to each of them. */
  members: Type.Array(MemberSchema),
  iceServers: IceServerListSchema,
});

export const PeerJoinedMessageSchema = Type.Object({
  type: Type.Literal(ServerMessageType.PeerJoined),
  peer: MemberSchema,
});

export const PeerLeftMessageSchema = Type.Object({
  type: Type.Literal(ServerMessageType.PeerLeft),
  id: PeerId,
  reason: Type.Union([Type.Literal(LeaveReason.Left), Type.Literal(LeaveReason.Lost)]),
});

export const PeerRenamedMessageSchema = Type.Object({
  type: Type.Literal(ServerMessageType.PeerRenamed),
  peer: MemberSchema,
});

export const SignalDeliverySchema = Type.Object({
  type: Type.Literal(ServerMessageType.Signal),
  /** Set by the server from the sender's socket, never taken from the client. */
  from: PeerId,
  data: SignalDataSchema,
});

export const ErrorMessageSchema = Type.Object({
  type: Type.Literal(ServerMessageType.Error),
  code: Type.Enum(ErrorCode),
  message: Type.String(),
  /** The `type` of the frame that caused the error, when it had a readable one. */
  ref: Type.Optional(Type.String()),
});

export type WelcomeMessage = Static<typeof WelcomeMessageSchema>;
export type PeerJoinedMessage = Static<typeof PeerJoinedMessageSchema>;
export type PeerLeftMessage = Static<typeof PeerLeftMessageSchema>;
export type PeerRenamedMessage = Static<typeof PeerRenamedMessageSchema>;
export type SignalDelivery = Static<typeof SignalDeliverySchema>;
export type ErrorMessage = Static<typeof ErrorMessageSchema>;
export type ServerMessage =
  | WelcomeMessage
  | PeerJoinedMessage
  | PeerLeftMessage
  | PeerRenamedMessage
  | SignalDelivery
  | ErrorMessage;

/** Normalises what a person typed as a display name; returns '' when nothing usable is left. */
export function normaliseDisplayName(raw: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is removed
  const cleaned = raw.replace(/[\u0000-\u001f\u007f]+/g, ' ').replace(/\s+/g, ' ').trim();
  return Array.from(cleaned).slice(0, MAX_NAME_LENGTH).join('').trim();
}
