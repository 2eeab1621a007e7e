import { describe, expect, it } from 'vitest';
import { ChatLog, type LogEntry } from '../../../web/room/chat-log.js';

const ADA = 'a'.repeat(22);
const BOB = 'b'.repeat(22);
const entry = (author: string, sequence: number, sentAt: number): LogEntry => ({
  id: `${author}:${sequence}`,
  authorId: author,
  authorName: author === ADA ? 'Ada' : 'Bob',
  text: `${author === ADA ? 'Ada' : 'Bob'} #${sequence}`,
  sentAt,
});

describe('ChatLog', () => {
  it('keeps each id once', () => {
    const log = new ChatLog(100);
    expect(log.add(entry(ADA, 1, 10))).toBe(true);
    expect(log.add(entry(ADA, 1, 10))).toBe(false);
    expect(log.add({ ...entry(ADA, 1, 99), text: 'forged' })).toBe(false);
    expect(log.entries.map((e) => e.text)).toEqual(['Ada #1']);
  });

  it('orders by author time, then author, then sequence, whatever the arrival order', () => {
    const all = [entry(ADA, 1, 10), entry(BOB, 1, 10), entry(ADA, 2, 10), entry(BOB, 2, 20), entry(ADA, 3, 30)];
    const expected = ['Ada #1', 'Ada #2', 'Bob #1', 'Bob #2', 'Ada #3'];
    for (const order of [
      [0, 1, 2, 3, 4],
      [4, 3, 2, 1, 0],
      [2, 4, 0, 3, 1],
    ]) {
      const log = new ChatLog(100);
      for (const index of order) log.add(all[index]!);
      expect(log.entries.map((e) => e.text)).toEqual(expected);
    }
  });

  it('refuses an entry whose id belongs to someone else', () => {
    const log = new ChatLog(100);
    expect(log.add({ ...entry(ADA, 1, 10), authorId: BOB })).toBe(false);
  });

  it('is bounded, dropping the oldest, and forgets dropped ids', () => {
    const log = new ChatLog(3);
    for (let sequence = 1; sequence <= 5; sequence += 1) log.add(entry(ADA, sequence, sequence));
    expect(log.entries.map((e) => e.id)).toEqual([`${ADA}:3`, `${ADA}:4`, `${ADA}:5`]);
    expect(log.has(`${ADA}:1`)).toBe(false);
    expect(log.recent(2).map((e) => e.id)).toEqual([`${ADA}:4`, `${ADA}:5`]);
  });
});

describe('ChatLog when full', () => {
  it('never drops a newer message in favour of an older one (an old-dated entry goes nowhere)', () => {
    const log = new ChatLog(3);
    for (let sequence = 1; sequence <= 3; sequence += 1) log.add(entry(ADA, sequence, 100 + sequence));
    expect(log.add(entry(BOB, 1, 5))).toBe(false);
    expect(log.entries.map((e) => e.id)).toEqual([`${ADA}:1`, `${ADA}:2`, `${ADA}:3`]);
    expect(log.has(`${BOB}:1`)).toBe(false);
    // A newer one still goes in, and the oldest makes room.
    expect(log.add(entry(BOB, 2, 200))).toBe(true);
    expect(log.entries.map((e) => e.id)).toEqual([`${ADA}:2`, `${ADA}:3`, `${BOB}:2`]);
  });
});
