/**
 * Stands in for the `text-decoder` package in the browser builds (see vite.shared.ts). streamx,
 * under simple-peer, requires it for streams given a text encoding, which Parley never sets (it
 * reads data channel messages itself); the package and the `b4a` it pulls in cost about 4 KiB
 * gzip. The browser's own TextDecoder does the same job. CommonJS, as streamx requires it.
 */
'use strict';

module.exports = class NativeTextDecoder {
  /** @param {string} [encoding] */
  constructor(encoding = 'utf8') {
    this.decoder = new TextDecoder(encoding === 'utf8' ? 'utf-8' : encoding);
  }

  /** Bytes held back for a character split across chunks: the browser's decoder does not say. */
  get remaining() {
    return 0;
  }

  /** @param {Uint8Array} data */
  push(data) {
    return this.decoder.decode(data, { stream: true });
  }

  /** @param {Uint8Array} [data] */
  write(data) {
    return this.push(data);
  }

  /** @param {Uint8Array} [data] */
  end(data) {
    return (data ? this.decoder.decode(data, { stream: true }) : '') + this.decoder.decode();
  }
};
