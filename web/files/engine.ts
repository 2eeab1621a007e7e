/**
 * Everything the room needs of the file code, in one module the room loads on first use (sharing
 * a file, accepting one): so the script tag does not carry the transfer code for chats that never
 * send a file.
 */
export { FileTransfers } from './file-transfers.js';
export { pickSink, sweepLeftoverTransfers } from './file-sinks.js';
export { digestOfBlob } from './file-digest.js';
export { makeThumbnail } from './thumbnail.js';
