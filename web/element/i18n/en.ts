/** English: the source language, in the script itself (the others load when asked for). */
import { plural, type Messages } from './messages.js';

const s = (count: number, one: string, other: string): string => plural('en', count, { one, other });

export const en: Messages = {
  languageName: 'English',
  direction: 'ltr',

  noRoom: 'No room selected.',
  participants: 'Participants',
  inThisRoom: 'In this room',
  you: 'You',
  messages: 'Messages',
  emptyLog: 'No messages yet. Say hello — messages go straight to the people in this room.',
  messageBox: 'Message',
  messagePlaceholder: 'Write a message…',
  messageHint: 'Enter sends · Shift+Enter starts a new line',
  send: 'Send',
  joinAgain: 'Join again',
  verified: 'Verified',
  identityTag: 'Identity tag',
  about: 'About {name}',
  identityChanged: 'Someone called {name} was verified in this room before with another key. This is not that person, or they are on a new device or tab.',
  safetyHelp: 'Ask {name} what Parley shows for you, in person or on a call. If both codes match, nobody is between you.',
  markVerified: 'Mark {name} as verified',
  safetyPending: 'A safety code appears once {name} has proven it holds this room’s key.',
  notTheVerified: 'Not the {name} you verified',
  safetyCode: 'Safety code',
  verifiedUndo: 'Verified ✓ · undo',

  composerEmpty: 'Type a message first.',
  composerTooLong: (max, length) => `Messages are limited to ${max.toLocaleString('en')} characters; this one has ${length.toLocaleString('en')}.`,
  composerClosed: 'This room has been left.',
  composerNotReady: 'The room is still starting; try again in a moment.',

  peerState: {
    connecting: 'Connecting…',
    connected: 'Connected',
    reconnecting: 'Reconnecting…',
    failed: 'Connection failed',
  },
  peerProblem: {
    'no-room-key': {
      short: 'Could not prove it has this room’s key',
      long: 'It could not prove it holds this room’s key, so Parley disconnected it. Someone who only knows the room’s address on the server cannot take part.',
    },
    'no-proof': {
      short: 'Could not prove it has this room’s key',
      long: 'It did not prove it holds this room’s key in time, so Parley disconnected it.',
    },
    'no-fingerprint': {
      short: 'Could not prove it has this room’s key',
      long: 'Its connection carried no certificate to prove anything with, so Parley disconnected it.',
    },
    'wrong-id': {
      short: 'Claimed an identity that is not its own',
      long: 'It answered for someone else’s identity without that person’s key, so Parley disconnected it.',
    },
    'bad-signature': {
      short: 'Could not prove who it is',
      long: 'Its signature did not match its identity, so Parley disconnected it.',
    },
    'tampered-signaling': {
      short: 'Connection data was tampered with',
      long: 'Connection data for this person was changed, replayed or redirected on the way (by the server or the network) and was thrown away. Messages cannot be faked this way, but the connection may fail.',
    },
  },
  linkRoute: {
    'local-network': 'Direct on the local network',
    'through-nat': 'Direct through NAT',
    relayed: 'Relayed through TURN',
  },
  linkFailure: {
    'no-ice-servers': {
      short: 'No path between your networks',
      long: 'No direct path was found, and this server offers no STUN or TURN server, so only people on the same network can connect.',
    },
    'no-turn': {
      short: 'No direct path · no TURN server',
      long: 'No direct path was found through the routers between you, and no TURN server is configured; people on strict networks need one.',
    },
    'turn-refused': {
      short: 'TURN refused the credentials',
      long: 'No direct path was found, and the TURN server refused the credentials (expired, or not made with its secret).',
    },
    'turn-unreachable': {
      short: 'TURN server unreachable',
      long: 'No direct path was found, and the TURN server could not be reached from this network.',
    },
    'no-path': {
      short: 'No path, even relayed',
      long: 'No path was found, not even through the TURN server. The other person’s network may block it.',
    },
  },
  roundTrip: (ms) => `${ms}\u00a0ms round trip`,
  unnamedPeer: 'Someone joining',
  tamperedBlocked: 'Connected · tampered data blocked',
  verifiedConnected: 'Verified · connected',

  statusConnecting: 'Connecting to the signaling server…',
  statusAlone: 'Connected · waiting for others to open the room link',
  statusConnectingToOthers: 'Connected to the server · connecting to the others directly…',
  statusDirect: 'Connected · chat goes directly between browsers',
  retryingIn: (seconds) => `retrying in ${seconds} s`,
  reconnectingNow: 'reconnecting…',
  serverBusy: (retry) => `The signaling server is busy · ${retry}`,
  serverUnreachable: (retry) => `Signaling server unreachable · ${retry}`,
  serverUnreachableChatGoesOn: (retry) => `Signaling server unreachable · ${retry} · chat continues with the people already connected`,
  refused: 'The server refused to let you join this room.',
  left: 'You left this room.',
  refusedBadRoomKey: 'This room key is too short or has characters a key cannot have: use a room link made by “New room”.',
  refusedInsecure: 'This page cannot encrypt: open it over https:// (or on localhost). Parley never sends a chat unencrypted.',
  refusedOrigin: (site) => `This Parley server does not accept chats from this site (${site}). Its operator can allow the site with ALLOWED_ORIGINS.`,
  refusedRoomFull: 'This room is full.',
  refusedVersion: 'This page is older than the server: reload it.',
  openedElsewhere: 'This chat was opened again in another tab or window, so it stopped here.',

  notDeliveredTo: (names, reason) => `Not delivered to ${names}: ${reason}`,
  undeliverableTooOld: (minutes) => `unreachable for over ${minutes} minutes`,
  undeliverableOutboxFull: 'too many messages waiting for them',
  someoneWhoLeft: 'someone who left',
  nobodyYet: 'Nobody else is here yet · people who join will see it',
  delivered: 'Delivered',
  deliveredToAll: (count) => `Delivered to all ${count}`,
  sending: 'Sending…',
  deliveredOf: (delivered, total) => `Delivered to ${delivered} of ${total}`,

  announceOne: (author, text) => `${author}: ${text}`,
  announceSeveral: (count, author, text) => `${s(count, '1 new message', `${count} new messages`)}. ${author}: ${text}`,

  messageActions: 'Message actions',
  reply: 'Reply',
  edit: 'Edit',
  delete: 'Delete',
  deleteConfirm: 'Delete for everyone?',
  edited: 'edited',
  deletedMessage: 'Message deleted',
  replyQuote: 'Reply to {name}: go to the message',
  quoteMissing: 'A message that is not here',
  replyingTo: 'Replying to {name}',
  editingMessage: 'Editing your message',
  cancel: 'Cancel',
  reactWith: (emoji) => `React with ${emoji}`,
  reactedBy: (emoji, names) => `${emoji} from ${names}`,

  newMessagesLine: 'New messages',
  jumpToLatest: 'Jump to the latest message',
  unreadBelow: (count) => s(count, '1 new message', `${count} new messages`),

  typing: (count, names) => (count > 3 ? `${count} people are typing…` : `${names} ${s(count, 'is', 'are')} typing…`),
};
