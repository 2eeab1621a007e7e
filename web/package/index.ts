/**
 * `parley-chat`: the element class, not registered, so that a page may subclass it or register it
 * under a name of its own (`customElements.define('my-chat', ParleyChat)`). Import
 * `parley-chat/define` to register `<parley-chat>`, or `parley-chat/room` for the room alone.
 */
export { ParleyChat } from '../element/parley-chat.js';
export type {
  ChatMessage,
  Participant,
  ParleyMessageEventDetail,
  ParleyPeerEventDetail,
  ParleySecurityEventDetail,
  ParleyStatusEventDetail,
  RoomStatus,
  SecurityEvent,
} from '../element/parley-chat.js';
