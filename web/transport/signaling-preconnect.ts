/**
 * Opening the signaling socket before the app's script has loaded. A room link's first visit
 * otherwise waits for the HTML, then the script, then the WebSocket handshake, one after the
 * other; a tiny inline script in index.html starts the handshake while the script downloads and
 * runs, and the signaling client adopts that socket instead of opening its own. The same script
 * then warms WebRTC up (webrtc-warm-up.ts), while the page has nothing else to do.
 */
import { WEBRTC_WARM_UP_SOURCE } from './webrtc-warm-up.js';

/** The window property the inline script leaves its socket in. */
const PRECONNECT_PROPERTY = 'parleyPreconnectedSignaling';

/** WebSocket.OPEN, spelled out: Node (where this module is also loaded) has no WebSocket global. */
export const SOCKET_OPEN = 1;

type PreconnectWindow = Record<typeof PRECONNECT_PROPERTY, WebSocket | undefined>;

/**
 * The inline script's source: opens `signalPath` on the page's own server when the address has a
 * room key after `#`, then warms WebRTC up. Plain ES5 with no dependencies, so it runs before any
 * module and cannot fail the page (a Content-Security-Policy that forbids inline scripts only skips
 * the head start).
 */
export function preconnectScript(signalPath: string): string {
  return (
    `(function(){try{if(location.hash.length<2)return;` +
    `var u=new URL(${JSON.stringify(signalPath)},location.href);u.protocol=u.protocol==="https:"?"wss:":"ws:";` +
    `window.${PRECONNECT_PROPERTY}=new WebSocket(u.href)}catch(e){}${WEBRTC_WARM_UP_SOURCE}})();`
  );
}

function holder(): Partial<PreconnectWindow> | undefined {
  return typeof window === 'undefined' ? undefined : (window as unknown as Partial<PreconnectWindow>);
}

/**
 * The preconnected socket, if it goes to `url` and is still connecting or open. It is handed out
 * once; later callers (and reconnects) get undefined and open their own.
 */
export function takePreconnectedSocket(url: string): WebSocket | undefined {
  const store = holder();
  const socket = store?.[PRECONNECT_PROPERTY];
  if (!store || !socket) return undefined;
  store[PRECONNECT_PROPERTY] = undefined;
  if (socket.url !== url || socket.readyState > SOCKET_OPEN) {
    socket.close();
    return undefined;
  }
  return socket;
}

/** Closes a preconnected socket nobody will use (the link turned out not to be a room). */
export function discardPreconnectedSocket(): void {
  const store = holder();
  store?.[PRECONNECT_PROPERTY]?.close();
  if (store) store[PRECONNECT_PROPERTY] = undefined;
}
