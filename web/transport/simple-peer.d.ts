/** The part of @thaunknown/simple-peer's data-only build that Parley uses (it ships no types). */
declare module '@thaunknown/simple-peer/lite.js' {
  export interface SimplePeerOptions {
    initiator?: boolean;
    trickle?: boolean;
    objectMode?: boolean;
    config?: RTCConfiguration;
    channelConfig?: RTCDataChannelInit;
  }
  export interface SimplePeerError extends Error {
    code?: string;
  }
  export default class SimplePeer {
    constructor(options?: SimplePeerOptions);
    readonly connected: boolean;
    readonly destroyed: boolean;
    /** The underlying connection; undefined if its constructor failed, null once destroyed. */
    _pc: RTCPeerConnection | null | undefined;
    /**
     * The data channel (Parley writes to it directly, see ChannelWriter): the initiator's from the
     * constructor on, the answerer's from its connection's 'datachannel' event, null until then.
     */
    readonly _channel: RTCDataChannel | null | undefined;
    /**
     * The negotiation steps, run on timers (the first offer on the tick after the constructor)
     * that check `destroyed`, which destroy() sets only later.
     */
    _createOffer(): void;
    _createAnswer(): void;
    signal(data: unknown): void;
    destroy(error?: Error): void;
    on(event: 'signal', listener: (data: Record<string, unknown>) => void): this;
    on(event: 'connect' | 'close', listener: () => void): this;
    on(event: 'data', listener: (data: unknown) => void): this;
    on(event: 'error', listener: (error: SimplePeerError) => void): this;
    on(event: 'iceStateChange', listener: (iceConnectionState: string, iceGatheringState: string) => void): this;
    removeAllListeners(): this;
  }
}
