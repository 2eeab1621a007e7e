/**
 * A PeerLink made with simple-peer: the only file that imports simple-peer or touches its
 * internals (`_pc`, `_channel`), which Parley uses to write to the data channel directly and to
 * close a connection without waiting for simple-peer's timers.
 */
import SimplePeer, { type SimplePeerError } from '@thaunknown/simple-peer/lite.js';
import type { PeerLink, PeerLinkHandlers, PeerLinkOptions } from './peer-link.js';
import { connectionFingerprints } from './sdp-fingerprint.js';
import { candidateTypeOf, pathFromStats, type CandidateError, type CandidateType } from './link-diagnosis.js';

export function createSimplePeerLink({ initiator, iceServers }: PeerLinkOptions, handlers: PeerLinkHandlers): PeerLink {
  const peer = new SimplePeer({ initiator, trickle: true, objectMode: true, config: { iceServers } });
  let closed = false;
  let channelReported = false;

  const end = (error?: string): void => {
    if (closed) return;
    closed = true;
    handlers.end(error);
  };
  const opened = (channel: RTCDataChannel): void => {
    if (closed || channelReported) return;
    const pc = peer._pc;
    // The offering side's channel can open before its setRemoteDescription(answer) has resolved,
    // and the proof needs the fingerprints of both descriptions as applied: wait for the answer.
    if (pc && (!pc.localDescription || !pc.remoteDescription)) {
      pc.addEventListener('signalingstatechange', () => opened(channel), { once: true });
      return;
    }
    channelReported = true;
    handlers.channelOpen(channel, connectionFingerprints(pc));
  };
  // Every frame is taken off the channel as it arrives, before simple-peer sees it: its stream
  // would wrap each one and hand it on in a later tick, so text and bytes could swap order, and
  // in Node (whose WebRTC calls in from its own threads) a tick can wait until something else
  // happens. simple-peer set its handler as the channel's onmessage when it made the channel (or
  // in its own 'datachannel' handler, which runs before ours); ours replaces it.
  const takeFrames = (channel: RTCDataChannel): void => {
    channel.binaryType = 'arraybuffer';
    channel.onmessage = (event: MessageEvent) => {
      if (closed) return;
      if (event.data instanceof ArrayBuffer) handlers.binary(event.data);
      else handlers.data(event.data);
    };
  };
  // The link is usable once its data channel is open. simple-peer's own 'connect' comes later:
  // it first looks up the selected candidate pair in a getStats() pass (tens of milliseconds on a
  // busy page, tried again every 100 ms until a pair is selected), which Parley has no use for.
  // The initiator's channel exists from the start; the answerer's arrives with 'datachannel'.
  // These listeners are not removed: they die with the connection, and `closed` guards them.
  const watch = (channel: RTCDataChannel): void => {
    takeFrames(channel);
    if (channel.readyState === 'open') opened(channel);
    else channel.addEventListener('open', () => opened(channel), { once: true });
  };
  if (peer._channel) watch(peer._channel);
  else peer._pc?.addEventListener('datachannel', (event) => watch(event.channel), { once: true });
  // What the ICE agent meets while gathering: the material of a readable reason if no path works.
  const gatheredTypes = new Set<CandidateType>();
  const candidateErrors: CandidateError[] = [];
  peer._pc?.addEventListener('icecandidate', (event) => {
    const type = event.candidate ? candidateTypeOf(event.candidate.candidate) : undefined;
    if (type) gatheredTypes.add(type);
  });
  peer._pc?.addEventListener('icecandidateerror', (event) => {
    // Bounded: an agent retrying a dead server reports each attempt.
    if (candidateErrors.length < 32) candidateErrors.push({ url: event.url, errorCode: event.errorCode, errorText: event.errorText });
  });
  peer.on('connect', () => {
    if (peer._channel) opened(peer._channel);
  });
  peer.on('signal', (data) => {
    if (!closed) handlers.signal(data);
  });
  peer.on('data', (data) => {
    if (closed) return;
    // Frames only get here if simple-peer took the channel's messages after us (not expected);
    // bytes are still a binary frame, not text.
    if (data instanceof Uint8Array) handlers.binary(new Uint8Array(data).buffer);
    else handlers.data(data);
  });
  peer.on('iceStateChange', (state) => {
    if (!closed) handlers.iceStateChange(state as RTCIceConnectionState);
  });
  // simple-peer destroys itself on every error and then may or may not emit 'close'; either
  // event ends this connection, whichever comes first.
  peer.on('error', (error: SimplePeerError) => end(error.code ?? error.message));
  peer.on('close', () => end());

  return {
    signal(data) {
      try {
        peer.signal(data);
      } catch (error) {
        // A malformed payload from the other side; simple-peer throws synchronously for some.
        peer.destroy(error instanceof Error ? error : new Error(String(error)));
      }
    },
    async path() {
      const pc = peer._pc;
      if (closed || !pc) return undefined;
      const report = await pc.getStats();
      return pathFromStats(report.values() as Iterable<Record<string, unknown> & { id: string; type: string }>);
    },
    observations() {
      return { gatheredTypes, candidateErrors };
    },
    close() {
      closed = true;
      peer.removeAllListeners();
      // Its channel may still report the abort that closing causes: nobody is listening any more.
      peer.on('error', () => undefined);
      // simple-peer closes its RTCPeerConnection on a later timer; during pagehide there is no
      // later, so close it now and the other side sees its data channel close at once. Its second
      // close is made a no-op: harmless in browsers, but Node's WebRTC polyfill counts each close
      // as one connection fewer and, at zero, stops its threads under the connections still open.
      const pc = peer._pc;
      if (pc) {
        pc.close();
        pc.close = () => undefined;
      }
      // A negotiation step simple-peer queued (the first offer of a link closed in the tick it was
      // made, as a reload or a restart makes them) would run on the closed connection and throw
      // from its timer, uncaught: it must not run at all.
      peer._createOffer = peer._createAnswer = () => undefined;
      peer.destroy();
    },
  };
}
