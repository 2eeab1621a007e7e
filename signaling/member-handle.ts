/**
 * What the room registry holds for each member: a way to reach it. A SignalingSession for a member
 * connected here; a RemoteMember (bus/room-mirror.ts) for one connected to another instance.
 */
import type { ServerMessage } from '../protocol/signaling.js';

export interface MemberHandle {
  /** The key the member's address is counted under (client-address.ts). */
  readonly address: string;
  /** True for a member on another instance: its frames travel over the room bus. */
  readonly remote: boolean;
  sendRaw(frame: string): void;
  send(message: ServerMessage): void;
  /** The same participant joined again on a newer connection: this one gives up its place. */
  replacedByNewerConnection(): void;
}
