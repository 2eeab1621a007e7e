/**
 * The signaling wire contract, shared by the server (signaling/) and the browser (web/).
 *
 * Every frame is one JSON object with a `type`; one union per direction (ClientMessage,
 * ServerMessage), every error and close code (and the HTTP refusals before the upgrade) in a table.
 * Plain constants and types only: the server validates inbound frames against the schemas in
 * signaling/schemas.ts, which the compiler holds to these types. docs/protocol.md describes the
 * same contract for people. Pure TypeScript: no Node and no DOM.
 */
/**
 * Bumped on any incompatible change; a client announces the version it speaks in `join`.
 * 2: sealed signal payloads, no display names on the server, peer ids bound to signing keys.
 */
export const PROTOCOL_VERSION = 2;

/** Path of the WebSocket endpoint on the signaling server. */
export const SIGNAL_PATH = '/signal';

/**
 * GET: may a page of the requesting origin use this server's signaling? Answers `OriginCheck`,
 * readable from any origin (CORS). A browser does not tell a page why its WebSocket was refused, so
 * a page whose connection fails before opening asks here, and can say it was refused rather than
 * retry forever.
 */
export const ORIGIN_CHECK_PATH = '/signal/origin';

export interface OriginCheck {
  allowed: boolean;
}

export const ClientMessageType = {
  Join: 'join',
  Signal: 'signal',
  Leave: 'leave',
  /** Asks for fresh ICE servers (new TURN credentials) before those of the welcome expire. */
  RefreshIceServers: 'refresh-ice-servers',
} as const;
export type ClientMessageType = (typeof ClientMessageType)[keyof typeof ClientMessageType];

export const ServerMessageType = {
  Welcome: 'welcome',
  PeerJoined: 'peer-joined',
  PeerLeft: 'peer-left',
  Signal: 'signal',
  /** The answer to `refresh-ice-servers`. */
  IceServers: 'ice-servers',
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
  /** `signal` or `leave` before `join`. */
  NotJoined: 'not-joined',
  /** `join` on a socket that is already in a room. */
  AlreadyJoined: 'already-joined',
  /** `signal` addressed to an id that is not another member of the sender's room. */
  UnknownPeer: 'unknown-peer',
  /** Too many frames too fast; this frame was dropped. Persistent flooding closes with 4008. */
  RateLimited: 'rate-limited',
  /**
   * `refresh-ice-servers` more often than credentials can need it (per connection or per address);
   * the error carries `retryAfterMs`. The credentials held keep working until they expire.
   */
  IceRefreshLimited: 'ice-refresh-limited',
  /**
   * Too many joins from this address, or into this room, in the last minute. The error carries
   * `retryAfterMs`; the socket is then closed with 4029, and a client tries again no sooner.
   */
  JoinRateLimited: 'join-rate-limited',
  /** The server holds as many rooms as it allows. As with join-rate-limited: `retryAfterMs`, then 4029. */
  ServerFull: 'server-full',
  /** Something failed on the server; the frame was dropped. Details are in the server log only. */
  Internal: 'internal',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/**
 * WebSocket close codes, both sides. 1000–1015 are the standard ones; 4000–4999 are Parley's.
 * A client does not reconnect automatically after a final one (FINAL_CLOSE_CODES).
 */
export const CloseCode = {
  /** The client left (it closes with this), or the server closed an idle socket. */
  Normal: 1000,
  /** The server is shutting down; reconnecting shortly is the right reaction. */
  GoingAway: 1001,
  /**
   * Never sent: what a client sees when a connection ended without a close frame (the network or
   * the server died), and what the browser client reports when a URL cannot even be opened.
   */
  Abnormal: 1006,
  /** A text frame was not valid UTF-8 (sent by the WebSocket layer itself). */
  InvalidPayload: 1007,
  /** A frame exceeded the hard size cap; the connection cannot be trusted to resynchronise. */
  MessageTooBig: 1009,
  UnsupportedVersion: 4001,
  RoomFull: 4002,
  /** The same participant (same session secret) joined again on another connection. */
  Replaced: 4003,
  /** The connection was not in a room in time. */
  JoinTimeout: 4004,
  /** The connection kept flooding the server after `rate-limited` errors. */
  RateLimited: 4008,
  /** The join was refused for now (join-rate-limited, server-full); the error said when to try again. */
  TryLater: 4029,
  /**
   * This instance lost its room bus (Redis, when several instances share rooms): every member on it
   * is disconnected and comes back, with backoff, once the bus is back. Direct chats carry on.
   */
  BusUnavailable: 4030,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/** Close codes after which a client must not reconnect on its own: trying again cannot help. */
export const FINAL_CLOSE_CODES: readonly number[] = [CloseCode.UnsupportedVersion, CloseCode.RoomFull, CloseCode.Replaced];

/** The reason the browser client gives when it closes its socket on purpose. */
export const CLIENT_LEFT_REASON = 'left';

/**
 * Refusals of the WebSocket upgrade, answered over HTTP before any frame: the status, and the
 * JSON body `{ error, message }` (none for a server that is shutting down).
 */
export const HttpRefusal = {
  /** The page's Origin is not the server's own and not on ALLOWED_ORIGINS. */
  OriginNotAllowed: { status: 403, error: 'origin-not-allowed', message: 'This page is not allowed to use this Parley server.' },
  /** The client's address already holds MAX_CONNECTIONS_PER_IP connections. */
  TooManyConnections: { status: 429, error: 'too-many-connections', message: 'Too many open connections from your address.' },
  /** The server already holds MAX_CONNECTIONS connections (a Retry-After header says when to try again). */
  ServerFull: { status: 503, error: 'server-full', message: 'This server is at its connection limit; try again in a minute.' },
  /** This instance cannot reach the room bus it shares rooms over (Redis); a Retry-After says when to try again. */
  NotReady: { status: 503, error: 'not-ready', message: 'This server cannot reach its room bus; try again in a moment.' },
  /** The server is shutting down: the socket is closed after this status line, with no body. */
  ShuttingDown: { status: 503, error: 'shutting-down', message: 'The server is shutting down.' },
} as const;
export type HttpRefusal = (typeof HttpRefusal)[keyof typeof HttpRefusal];

/**
 * A WebRTC signaling payload (SDP offer/answer or ICE candidate) as the browsers' WebRTC layer
 * makes and reads it. It never reaches the server in this form: it travels sealed (SealedSignal).
 */
export type SignalData = Record<string, unknown>;

/**
 * A signal payload as the server relays it: opaque to the server, sealed end to end with a key
 * derived from the room key (protocol/room-crypto.ts has the layout). The server checks nothing
 * inside and never logs it.
 */
export type SealedSignal = Record<string, unknown>;

/** One entry of RTCConfiguration.iceServers, as the operator configures it. */
export interface IceServer {
  urls: string | string[];
  username?: string;
  credential?: string;
}

/** A member as the server knows it: only its id (names travel between the peers, sealed). */
export interface Member {
  id: string;
}

// ---- client → server ------------------------------------------------------------------------

export interface JoinMessage {
  type: typeof ClientMessageType.Join;
  v: number;
  room: string;
  /** The client's session secret; the server derives the peer id from it and forgets it. */
  session: string;
  /** base64url(SHA-256(the client's public signing key)): bound into its peer id (protocol/ids.ts). */
  key: string;
}

export interface SignalRequest {
  type: typeof ClientMessageType.Signal;
  to: string;
  data: SealedSignal;
}

export interface LeaveMessage {
  type: typeof ClientMessageType.Leave;
}

export interface RefreshIceServersMessage {
  type: typeof ClientMessageType.RefreshIceServers;
}

export type ClientMessage = JoinMessage | SignalRequest | LeaveMessage | RefreshIceServersMessage;

// ---- server → client ------------------------------------------------------------------------

export interface WelcomeMessage {
  type: typeof ServerMessageType.Welcome;
  v: number;
  /** The id the server assigned to this socket; other members see it as `from`. */
  id: string;
  room: string;
  /** The other members already in the room; the newcomer connects to each of them. */
  members: Member[];
  /**
   * The ICE servers this connection should use: the operator's list, or the server's own STUN
   * (`stun:<the host the page was loaded from>:<port>`), plus TURN with credentials made for this
   * connection. Empty: host candidates only.
   */
  iceServers: IceServer[];
  /**
   * Present when `iceServers` hold short-lived TURN credentials: how long they are good for. The
   * client asks for fresh ones (`refresh-ice-servers`) well before, and uses those for every later
   * connection and ICE restart.
   */
  iceServersValidForMs?: number;
}

/** Fresh ICE servers for this connection, as in `welcome`. */
export interface IceServersMessage {
  type: typeof ServerMessageType.IceServers;
  iceServers: IceServer[];
  iceServersValidForMs?: number;
}

export interface PeerJoinedMessage {
  type: typeof ServerMessageType.PeerJoined;
  peer: Member;
}

export interface PeerLeftMessage {
  type: typeof ServerMessageType.PeerLeft;
  id: string;
  reason: LeaveReason;
}

export interface SignalDelivery {
  type: typeof ServerMessageType.Signal;
  /** Set by the server from the sender's socket, never taken from the client. */
  from: string;
  data: SealedSignal;
}

export interface ErrorMessage {
  type: typeof ServerMessageType.Error;
  code: ErrorCode;
  message: string;
  /** The `type` of the frame that caused the error, when it had a readable one. */
  ref?: string;
  /** For join-rate-limited, server-full and a refused refresh-ice-servers: how long to wait before asking again. */
  retryAfterMs?: number;
}

export type ServerMessage = WelcomeMessage | PeerJoinedMessage | PeerLeftMessage | SignalDelivery | IceServersMessage | ErrorMessage;

// ---- the signal frame, byte for byte ----------------------------------------------------------
// The relay is the server's hot path: it recognises a browser's signal request by its layout and
// forwards the payload's text as it came, without parsing it into objects and serialising it again.

/** How a `signal` request starts, as JSON.stringify writes it: `{"type":"signal","to":"<id>","data":…}`. */
export const SIGNAL_REQUEST_PREFIX = '{"type":"signal","to":"';
/** What follows the `to` id in a signal request, before the payload. */
export const SIGNAL_REQUEST_DATA_INFIX = '","data":';

/** The `signal` delivery to a member, from the sender's id and the payload's JSON text. */
export function signalDeliveryFrame(from: string, dataJson: string): string {
  return `{"type":"${ServerMessageType.Signal}","from":"${from}","data":${dataJson}}`;
}
