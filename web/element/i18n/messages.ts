/**
 * Every word <parley-chat> shows, as one interface each language implements in full (TypeScript
 * refuses a catalog with a sentence missing). Numbers come as arguments (plurals through
 * Intl.PluralRules, `plural`); a person's name is a `{name}` placeholder, so the element can set
 * it in <bdi> and a right-to-left name cannot reorder the sentence around it.
 *
 * Why not @lit/localize: its locale is one for the whole page, set up once per page (a second
 * setup throws), so two elements in two languages, or a host app that localizes with it too, could
 * not work. Here each element holds its own catalog.
 */
import type { LinkFailure, LinkRoute, PeerConnectionState, PeerProblem } from '../../room/room.js';

export const LOCALES = ['en', 'de', 'ar'] as const;
export type Locale = (typeof LOCALES)[number];

/** One sentence in a few words (a row) and in full (the details). */
export interface ShortAndLong {
  short: string;
  long: string;
}

export interface Messages {
  /** The language's own name, for a language menu. */
  readonly languageName: string;
  readonly direction: 'ltr' | 'rtl';

  // The element's own text
  noRoom: string;
  participants: string;
  inThisRoom: string;
  you: string;
  messages: string;
  emptyLog: string;
  messageBox: string;
  messagePlaceholder: string;
  messageHint: string;
  send: string;
  joinAgain: string;
  verified: string;
  identityTag: string;
  // With a {name} placeholder
  about: string;
  identityChanged: string;
  safetyHelp: string;
  markVerified: string;
  safetyPending: string;
  notTheVerified: string;
  safetyCode: string;
  verifiedUndo: string;

  // What the composer says when a message cannot go
  composerEmpty: string;
  composerTooLong(max: number, length: number): string;
  composerClosed: string;
  composerNotReady: string;

  // People and their connections
  peerState: Record<PeerConnectionState, string>;
  peerProblem: Record<PeerProblem, ShortAndLong>;
  linkRoute: Record<LinkRoute, string>;
  linkFailure: Record<LinkFailure, ShortAndLong>;
  /** "12 ms round trip"; `ms` already formatted for the language. */
  roundTrip(ms: string): string;
  unnamedPeer: string;
  tamperedBlocked: string;
  verifiedConnected: string;

  // The room's status line
  statusConnecting: string;
  statusAlone: string;
  statusConnectingToOthers: string;
  statusDirect: string;
  retryingIn(seconds: number): string;
  reconnectingNow: string;
  serverBusy(retry: string): string;
  serverUnreachable(retry: string): string;
  serverUnreachableChatGoesOn(retry: string): string;
  refused: string;
  left: string;
  refusedBadRoomKey: string;
  refusedInsecure: string;
  refusedOrigin(site: string): string;
  refusedRoomFull: string;
  refusedVersion: string;
  openedElsewhere: string;

  // Receipts under one's own messages
  notDeliveredTo(names: string, reason: string): string;
  undeliverableTooOld(minutes: number): string;
  undeliverableOutboxFull: string;
  someoneWhoLeft: string;
  nobodyYet: string;
  delivered: string;
  deliveredToAll(count: number): string;
  sending: string;
  deliveredOf(delivered: number, total: number): string;

  // What a screen reader hears of new messages
  announceOne(author: string, text: string): string;
  announceSeveral(count: number, author: string, text: string): string;

  // Replies, edits, deletions, reactions
  messageActions: string;
  reply: string;
  edit: string;
  delete: string;
  deleteConfirm: string;
  edited: string;
  deletedMessage: string;
  /** The quote above a reply, as a button that goes to the original; with a {name} placeholder. */
  replyQuote: string;
  /** A reply to a message this page does not have (from before it joined, or deleted since). */
  quoteMissing: string;
  /** With a {name} placeholder. */
  replyingTo: string;
  editingMessage: string;
  cancel: string;
  reactWith(emoji: string): string;
  /** Who reacted with one emoji: the names already joined as a list. */
  reactedBy(emoji: string, names: string): string;

  // Reading
  /** The line above the first message that arrived while the reader was away or scrolled up. */
  newMessagesLine: string;
  jumpToLatest: string;
  /** On the jump button, when `count` messages came in below. */
  unreadBelow(count: number): string;

  // Files
  attachFiles: string;
  /** While a file is hashed before it is offered; the file's name is a {name} placeholder. */
  preparingFile: string;
  download: string;
  save: string;
  tryAgain: string;
  stopSharing: string;
  /** With a {name} placeholder (the file's author). */
  fileWaiting: string;
  /** `done` and `total` are sizes, `speed` a rate, `left` a duration, all formatted already; the last two may be empty. */
  fileProgress(done: string, total: string, speed: string, left: string): string;
  /** With a {name} placeholder (the file's author). */
  filePaused: string;
  fileVerifying: string;
  fileReceived: string;
  /** A received file that went into the browser's downloads as it arrived (no in-page storage). */
  fileSavedToDownloads: string;
  /** With a {name} placeholder (the file's author). */
  fileStoppedBySender: string;
  fileCancelled: string;
  /** With a {name} placeholder (the file's author). */
  fileUnavailable: string;
  fileCorrupt: string;
  /** With a {name} placeholder (the file's author). */
  fileProtocol: string;
  fileStorage: string;
  /** A download streamed into the browser's downloads stopped there (its service worker went away). */
  fileDownloadStopped: string;
  /** The people who have the file, as a list. */
  fileSentTo(names: string): string;
  /** Someone receiving the file now, and how far. */
  fileSendingTo(name: string, percent: string): string;
  fileNotSentYet: string;
  fileNotShared: string;
  /** A file's size and type, e.g. "2.4 MB · PDF". */
  fileDetails(size: string, type: string): string;

  // Typing
  /** `names` is the list of who types (already joined), `count` how many they are. */
  typing(count: number, names: string): string;
}

/** The form for `count` in `locale` (Intl.PluralRules' category), falling back to `other`. */
export function plural(locale: Locale, count: number, forms: Partial<Record<Intl.LDMLPluralRule, string>> & { other: string }): string {
  return forms[new Intl.PluralRules(locale).select(count)] ?? forms.other;
}

/** A sentence with its {name} filled in, as plain text (labels, tooltips, what a screen reader hears). */
export function withName(sentence: string, name: string): string {
  return sentence.replace('{name}', name);
}

/** The sentence split around its {name}, for a template to put the name between (in <bdi>). */
export function aroundName(sentence: string): [before: string, after: string] {
  const at = sentence.indexOf('{name}');
  return at === -1 ? [sentence, ''] : [sentence.slice(0, at), sentence.slice(at + '{name}'.length)];
}
