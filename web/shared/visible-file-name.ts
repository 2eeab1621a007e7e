/**
 * A file name as shown and as saved (the chat's Save link, a streamed download's name): what it
 * really says, without the bidirectional and invisible controls that could disguise it.
 */

/** Bidirectional controls and other invisible control characters: "invoice\u202Efdp.exe" would otherwise show as "invoiceexe.pdf". */
const HIDDEN_CONTROLS = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * Half of a UTF-16 pair without its other half: JSON lets a peer send one, but it is no character,
 * and a download's header cannot carry it (encodeURIComponent throws).
 */
const LONE_SURROGATES = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export function visibleFileName(name: string): string {
  return name.replace(HIDDEN_CONTROLS, '').replace(LONE_SURROGATES, '\uFFFD') || 'file';
}
