/**
 * `parley-chat/room`: Parley without its UI, for a page that draws its own. No Lit, no DOM
 * rendering: a room object with typed events (`room.on('message', …)`), the same one the
 * element uses.
 *
 * ```ts
 * import { joinRoom, createRoomKey } from 'parley-chat/room';
 * const room = joinRoom({ roomKey: createRoomKey(), name: 'Ada', signalingUrl: 'wss://parley.example/signal' });
 * room.on('message', (message) => console.log(message.authorName, message.text));
 * room.send('Hello');
 * ```
 */
import { ParleyRoom, type ParleyRoomOptions } from '../room/room.js';

export { ParleyRoom, ChatSendError, RoomRefusal, tagOf } from '../room/room.js';
export type {
  AmendmentChange,
  CandidateType,
  ChatMessage,
  DeliverySummary,
  FileTransferState,
  IncomingStatus,
  OutgoingStatus,
  Reaction,
  LinkFailure,
  LinkPath,
  LinkRoute,
  ParleyRoomOptions,
  Participant,
  PeerConnectionState,
  PeerProblem,
  ProofState,
  RefusalReason,
  RoomEvents,
  RoomPhase,
  RoomStatus,
  SecurityEvent,
} from '../room/room.js';
export { createRoomKey, roomKeyProblem } from '../security/room-keys.js';

/** What joinRoom needs: the room key, a display name and the signaling server; the rest as ParleyRoom takes it. */
export type JoinRoomOptions = ParleyRoomOptions;

/**
 * Joins a room: derives its keys from `roomKey` (which never leaves the page), connects to the
 * signaling server and meets the others directly. Returns at once; listen for `status`, `message`,
 * `peer-joined`, `peer-left`, `security`, `link-path` and `link-failed`, and call `close()` to leave.
 * A bad key or a page without WebCrypto shows as a `rejected` status, with a reason in `detail`.
 */
export function joinRoom(options: JoinRoomOptions): ParleyRoom {
  const room = new ParleyRoom(options);
  room.start();
  return room;
}
