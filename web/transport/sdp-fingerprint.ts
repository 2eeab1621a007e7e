/**
 * The DTLS certificate fingerprint in a session description: what the membership proof binds a
 * connection to. Read from the descriptions a connection actually applied, so what is proved is
 * what the browser will check during the DTLS handshake.
 */

/** Every `a=fingerprint:` line's value (session or media level), normalised, in a stable order. */
export function sdpFingerprint(sdp: string | undefined): string | undefined {
  if (!sdp) return undefined;
  const values = new Set<string>();
  for (const match of sdp.matchAll(/^a=fingerprint:(\S+) ([0-9A-Fa-f:]+)\s*$/gm)) {
    values.add(`${match[1]!.toLowerCase()} ${match[2]!.toUpperCase()}`);
  }
  return values.size === 0 ? undefined : [...values].sort().join(',');
}

/** The two fingerprints of one connection, as this side applied them. */
export interface ConnectionFingerprints {
  local: string;
  remote: string;
}

export function connectionFingerprints(connection: Pick<RTCPeerConnection, 'localDescription' | 'remoteDescription'> | null | undefined): ConnectionFingerprints | undefined {
  const local = sdpFingerprint(connection?.localDescription?.sdp);
  const remote = sdpFingerprint(connection?.remoteDescription?.sdp);
  return local && remote ? { local, remote } : undefined;
}
