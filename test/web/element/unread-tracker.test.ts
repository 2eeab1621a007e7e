// What counts as unread, and where the "New messages" line goes.
import { describe, expect, it } from 'vitest';
import { UnreadTracker } from '../../../web/element/unread-tracker.js';
import type { ChatMessage } from '../../../web/room/room.js';

const message = (id: string, extra: Partial<ChatMessage> = {}): ChatMessage => ({ id, authorId: 'a', authorName: 'Ada', text: id, sentAt: 1, own: false, ...extra });
const AWAY = { visible: false, atBottom: true };
const SCROLLED_UP = { visible: true, atBottom: false };
const READING = { visible: true, atBottom: true };

describe('unread messages', () => {
  it('counts messages that come while the page is hidden or scrolled up, not while reading', () => {
    const counts: number[] = [];
    const tracker = new UnreadTracker((count) => counts.push(count));
    tracker.messageAdded(message('a:1'), READING);
    tracker.messageAdded(message('a:2'), AWAY);
    tracker.messageAdded(message('a:3'), SCROLLED_UP);
    expect(tracker.count).toBe(2);
    expect(tracker.markerId).toBe('a:2');
    tracker.seen();
    expect(counts).toEqual([1, 2, 0]);
    // The line stays where the unread messages began, until new ones come or the reader writes.
    expect(tracker.markerId).toBe('a:2');
    tracker.messageAdded(message('a:4'), AWAY);
    expect(tracker.markerId).toBe('a:4');
    tracker.messageAdded(message('me:1', { own: true }), AWAY);
    expect([tracker.count, tracker.markerId]).toEqual([0, undefined]);
  });

  it('never counts history catch-up', () => {
    const tracker = new UnreadTracker(() => undefined);
    tracker.messageAdded(message('a:1', { fromHistory: true }), AWAY);
    expect(tracker.count).toBe(0);
  });
});
