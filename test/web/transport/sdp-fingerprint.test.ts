import { describe, expect, it } from 'vitest';
import { connectionFingerprints, sdpFingerprint } from '../../../web/transport/sdp-fingerprint.js';

const CHROMIUM_SDP = 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=fingerprint:sha-256 ab:cd:EF:01\r\na=setup:actpass\r\n';
// Firefox writes it once at session level.
const FIREFOX_SDP = 'v=0\r\no=mozilla...THIS_IS_SDPARTA 1 0 IN IP4 0.0.0.0\r\ns=-\r\na=fingerprint:sha-256 AB:CD:EF:02\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n';

describe('DTLS fingerprints in session descriptions', () => {
  it('are read at media or session level, normalised', () => {
    expect(sdpFingerprint(CHROMIUM_SDP)).toBe('sha-256 AB:CD:EF:01');
    expect(sdpFingerprint(FIREFOX_SDP)).toBe('sha-256 AB:CD:EF:02');
  });

  it('are all kept, in a stable order, when a description has several', () => {
    const two = `${CHROMIUM_SDP}a=fingerprint:sha-1 00:11\r\n`;
    expect(sdpFingerprint(two)).toBe('sha-1 00:11,sha-256 AB:CD:EF:01');
  });

  it('are missing when a description has none (such a connection cannot be proven)', () => {
    expect(sdpFingerprint('v=0\r\n')).toBeUndefined();
    expect(sdpFingerprint(undefined)).toBeUndefined();
    expect(connectionFingerprints({ localDescription: { sdp: CHROMIUM_SDP, type: 'offer' } as RTCSessionDescription, remoteDescription: null })).toBeUndefined();
    expect(
      connectionFingerprints({
        localDescription: { sdp: CHROMIUM_SDP, type: 'offer' } as RTCSessionDescription,
        remoteDescription: { sdp: FIREFOX_SDP, type: 'answer' } as RTCSessionDescription,
      }),
    ).toEqual({ local: 'sha-256 AB:CD:EF:01', remote: 'sha-256 AB:CD:EF:02' });
  });
});
