// Which files a page fetches without a click: someone else's images up to the size the person
// set, and never one so large that it would become a streamed download (a download that starts by
// itself, under a name a peer chose).
import { describe, expect, it, vi } from 'vitest';
import { RoomFiles, type RoomFilesOptions } from '../../../web/room/room-files.js';
import { STREAMED_DOWNLOAD_FROM_BYTES } from '../../../web/files/download-stream-protocol.js';
import type { ChatMessage } from '../../../web/room/conversation.js';

function offered(size: number, { mime = 'image/png', own = false } = {}): ChatMessage {
  return {
    id: `B:${size}:${mime}`,
    authorId: 'B'.repeat(22),
    text: '',
    own,
    file: { kind: 'file', name: 'picture.png', size, mime, digest: 'd'.repeat(43) },
  } as unknown as ChatMessage;
}

function fetchedBySelf(messages: ChatMessage[], upTo: number): string[] {
  // The collaborators are not reached: only the choice is under test (accept is watched, not run).
  const files = new RoomFiles({} as RoomFilesOptions);
  files.autoAcceptImagesUpTo = upTo;
  const accept = vi.spyOn(files, 'accept').mockResolvedValue(undefined);
  for (const message of messages) files.messageAdded(message);
  return accept.mock.calls.map(([id]) => id);
}

describe('images that come by themselves', () => {
  it('are someone else’s shown images up to the size set, nothing else', () => {
    const small = offered(900_000);
    expect(fetchedBySelf([small, offered(1_100_000), offered(1000, { mime: 'image/svg+xml' }), offered(1000, { mime: 'text/plain' }), offered(1000, { own: true })], 1_000_000)).toEqual([small.id]);
    expect(fetchedBySelf([small], 0)).toEqual([]);
  });

  it('never include one that would be streamed into the downloads, whatever an embedding page sets', () => {
    const below = offered(STREAMED_DOWNLOAD_FROM_BYTES - 1);
    expect(fetchedBySelf([below, offered(STREAMED_DOWNLOAD_FROM_BYTES), offered(2 * STREAMED_DOWNLOAD_FROM_BYTES)], Number.MAX_SAFE_INTEGER)).toEqual([below.id]);
  });
});
