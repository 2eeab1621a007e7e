/**
 * What peers say to each other over a data channel. The signaling server never sees these frames.
 * Every inbound frame is untrusted: decodePeerMessage checks size and shape and returns undefined
 * for anything else, so a bad frame is dropped, never thrown into the UI.
 */

export const PeerMessageType = {
  Chat: 'chat',
} as const;

/** Longest chat message, in UTF-16 code units (what a textarea's maxlength counts). */
export const MAX_CHAT_TEXT_LENGTH = 16_000;

/** Largest inbound data channel frame that is parsed at all. */
export const MAX_PEER_FRAME_LENGTH = 128 * 1024;

export interface ChatFrame {
  type: typeof PeerMessageType.Chat;
  /** Unique per author: `<author instance>:<sequence>`. */
  id: string;
  text: string;
  /** The author's clock, ms since the epoch. */
  sentAt: number;
}

export type PeerMessage = ChatFrame;

export function encodePeerMessage(message: PeerMessage): string {
  return JSON.stringify(message);
}

function isChatFrame(value: Record<string, unknown>): value is Record<string, unknown> & ChatFrame {
  return (
    typeof value.id === 'string' &&
    value.id.length > 0 &&
    value.id.length <= 128 &&
    typeof value.text === 'string' &&
    value.text.length > 0 &&
    value.text.length <= MAX_CHAT_TEXT_LENGTH &&
    typeof value.sentAt === 'number' &&
    Number.isFinite(value.sentAt) &&
    Object.keys(value).length === 4
  );
}

export function decodePeerMessage(raw: unknown): PeerMessage | undefined {
  if (typeof raw !== 'string' || raw.length > MAX_PEER_FRAME_LENGTH) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const record = value as Record<string, unknown>;
  switch (record.type) {
    case PeerMessageType.Chat:
      return isChatFrame(record) ? { type: PeerMessageType.Chat, id: record.id, text: record.text, sentAt: record.sentAt } : undefined;
    default:
      return undefined;
  }
}
