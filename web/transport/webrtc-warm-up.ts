/**
 * Chromium sets up its WebRTC machinery (threads, networking, certificates) with a page's first
 * RTCPeerConnection, so that first connection's offer or answer takes 15–40 ms instead of 5–10.
 * A throwaway connection made while the page waits anyway (for its script, or for the server's
 * welcome) moves that set-up off the path to the first message. It never negotiates, so it gathers
 * no candidates and contacts no ICE server.
 */

/** The window property that says a page has warmed up, or tried to (set by the inline script too). */
const WARMED_UP_PROPERTY = 'parleyWebRtcWarmedUp';

/**
 * The same warm-up as plain ES5, for index.html's inline head script. It waits for a task of its
 * own, so it never holds up the parsing of the page.
 */
export const WEBRTC_WARM_UP_SOURCE =
  `setTimeout(function(){if(window.${WARMED_UP_PROPERTY})return;window.${WARMED_UP_PROPERTY}=true;` +
  `try{new RTCPeerConnection().close()}catch(e){}},0);`;

/** Warms WebRTC up once per page; does nothing where there is no RTCPeerConnection (Node). */
export function warmUpWebRtc(): void {
  const page = globalThis as unknown as Partial<Record<typeof WARMED_UP_PROPERTY, boolean>>;
  if (page[WARMED_UP_PROPERTY] || typeof RTCPeerConnection === 'undefined') return;
  page[WARMED_UP_PROPERTY] = true;
  try {
    new RTCPeerConnection().close();
  } catch {
    // A policy or an extension forbids it: the first real connection pays for the set-up instead.
  }
}
