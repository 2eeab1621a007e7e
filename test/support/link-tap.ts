// A PeerLinkFactory around the product's simple-peer link that records what crosses it, for tests
// that must see what a real ParleyRoom sent and received: the plain WebRTC payloads it made
// before they were sealed (SDP, candidates), and every data channel frame both ways. A room is
// given it as `createLink`; the room itself is not changed.
import { createSimplePeerLink } from '../../web/transport/simple-peer-link.js';
import type { PeerLinkFactory } from '../../web/transport/peer-link.js';
import type { WritableChannel } from '../../web/transport/channel-writer.js';
import type { SignalData } from '../../protocol/signaling.js';
import { decodePeerMessage, type PeerMessage } from '../../protocol/peer.js';

export interface LinkTap {
  createLink: PeerLinkFactory;
  /** Plain payloads the room's connections produced, before the room sealed them. */
  readonly signals: SignalData[];
  /** Frames the room wrote to any of its data channels, in order. */
  readonly sent: string[];
  /** Frames that arrived on any of its data channels, in order. */
  readonly received: string[];
  /** Every message id in the ack frames it sent (to anyone) / received (from anyone). */
  acksSent(): string[];
  acksReceived(): string[];
}

function ackIds(frames: readonly string[]): string[] {
  return frames.flatMap((frame) => {
    const message: PeerMessage | undefined = decodePeerMessage(frame);
    return message?.type === 'ack' ? message.ids : [];
  });
}

export function linkTap(): LinkTap {
  const signals: SignalData[] = [];
  const sent: string[] = [];
  const received: string[] = [];
  const createLink: PeerLinkFactory = (options, handlers) =>
    createSimplePeerLink(options, {
      ...handlers,
      signal(data) {
        signals.push(data);
        handlers.signal(data);
      },
      channelOpen(channel, fingerprints) {
        // The ChannelWriter sets the threshold and listens for 'bufferedamountlow': both pass through.
        const tapped: WritableChannel = {
          get bufferedAmount() {
            return channel.bufferedAmount;
          },
          get bufferedAmountLowThreshold() {
            return channel.bufferedAmountLowThreshold;
          },
          set bufferedAmountLowThreshold(value: number) {
            channel.bufferedAmountLowThreshold = value;
          },
          send(data) {
            channel.send(data);
            sent.push(data);
          },
          addEventListener: (type, listener) => channel.addEventListener(type, listener),
          removeEventListener: (type, listener) => channel.removeEventListener(type, listener),
        };
        handlers.channelOpen(tapped, fingerprints);
      },
      data(data) {
        if (typeof data === 'string') received.push(data);
        handlers.data(data);
      },
    });
  return { createLink, signals, sent, received, acksSent: () => ackIds(sent), acksReceived: () => ackIds(received) };
}
