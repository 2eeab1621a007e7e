/**
 * Defines `<parley-chat>`. Importing the element class (parley-chat.ts) registers nothing, so a
 * page can subclass it or define it under another name; importing this file registers the tag,
 * once: a second copy of Parley on the same page (two script tags, a bundle and a script) finds
 * the tag defined and leaves it be instead of throwing.
 */
import { ParleyChat } from './parley-chat.js';

export const PARLEY_CHAT_TAG = 'parley-chat';

if (!customElements.get(PARLEY_CHAT_TAG)) customElements.define(PARLEY_CHAT_TAG, ParleyChat);

export { ParleyChat };
export type { ParleyMessageEventDetail, ParleyPeerEventDetail, ParleyStatusEventDetail } from './parley-chat.js';
export type { ChatMessage, Participant, RoomStatus } from '../room/room.js';

declare global {
  interface HTMLElementTagNameMap {
    'parley-chat': ParleyChat;
  }
}
