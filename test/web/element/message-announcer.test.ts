// What a screen reader hears of new messages, on fake timers: one short line per message, at most
// one line per interval (those in between gathered), and silence for one's own messages, history
// catch-up and a reader who has scrolled up.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ANNOUNCE_INTERVAL_MS, ANNOUNCED_TEXT_LENGTH, MessageAnnouncer, type AnnouncementWords } from '../../../web/element/message-announcer.js';
import type { ChatMessage } from '../../../web/room/room.js';

const WORDS: AnnouncementWords = {
  one: (author, text) => `${author}: ${text}`,
  several: (count, author, text) => `${count} new messages. ${author}: ${text}`,
};

let heard: string[];
let announcer: MessageAnnouncer;
let sequence = 0;

function message(authorName: string, text: string, extra: Partial<ChatMessage> = {}): ChatMessage {
  sequence += 1;
  return { id: `${'a'.repeat(22)}:${sequence}`, authorId: 'a'.repeat(22), authorName, text, sentAt: Date.now(), own: false, ...extra };
}

beforeEach(() => {
  vi.useFakeTimers();
  heard = [];
  announcer = new MessageAnnouncer((line) => heard.push(line), () => WORDS);
});

afterEach(() => {
  announcer.dispose();
  vi.useRealTimers();
});

describe('the announcer', () => {
  it('reads a new message at once, as "author: text"', () => {
    announcer.messageAdded(message('Ada', 'are you there?'), true);
    expect(heard).toEqual(['Ada: are you there?']);
  });

  it('reads at most one line per interval, gathering the messages in between into the next', () => {
    announcer.messageAdded(message('Ada', 'one'), true);
    announcer.messageAdded(message('Bob', 'two'), true);
    announcer.messageAdded(message('Cy', 'three'), true);
    expect(heard).toEqual(['Ada: one']);
    vi.advanceTimersByTime(ANNOUNCE_INTERVAL_MS - 1);
    expect(heard).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(heard).toEqual(['Ada: one', '2 new messages. Cy: three']);
    // A burst of 50 is at most one line per interval, however fast they come.
    for (let index = 0; index < 50; index += 1) announcer.messageAdded(message('Dee', `burst ${index}`), true);
    vi.advanceTimersByTime(ANNOUNCE_INTERVAL_MS * 3);
    expect(heard).toEqual(['Ada: one', '2 new messages. Cy: three', '50 new messages. Dee: burst 49']);
    // After a quiet interval, the next is read at once again.
    announcer.messageAdded(message('Ada', 'later'), true);
    expect(heard.at(-1)).toBe('Ada: later');
  });

  it('is silent for my own messages, for history caught up from peers, and while I read older messages', () => {
    announcer.messageAdded(message('Me', 'mine', { own: true }), true);
    announcer.messageAdded(message('Ada', 'from before', { fromHistory: true }), true);
    announcer.messageAdded(message('Bob', 'while scrolled up'), false);
    vi.advanceTimersByTime(ANNOUNCE_INTERVAL_MS * 2);
    expect(heard).toEqual([]);
  });

  it('reads a long or multi-line message as one short line, cut between characters', () => {
    const long = `${'🙂'.repeat(ANNOUNCED_TEXT_LENGTH)}tail`;
    announcer.messageAdded(message('Ada', `first line\n\n  second line`), true);
    vi.advanceTimersByTime(ANNOUNCE_INTERVAL_MS);
    announcer.messageAdded(message('Ada', long), true);
    expect(heard[0]).toBe('Ada: first line second line');
    expect(heard[1]).toBe(`Ada: ${'🙂'.repeat(ANNOUNCED_TEXT_LENGTH)}…`);
  });

  it('says nothing after it is disposed', () => {
    announcer.messageAdded(message('Ada', 'one'), true);
    announcer.messageAdded(message('Bob', 'two'), true);
    announcer.dispose();
    vi.advanceTimersByTime(ANNOUNCE_INTERVAL_MS * 2);
    expect(heard).toEqual(['Ada: one']);
  });
});
