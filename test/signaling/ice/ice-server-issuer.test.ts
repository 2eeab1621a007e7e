// What each connection is handed as ICE servers: the built-in STUN at the host the page used, an
// operator's fixed list instead, and TURN credentials of its own that coturn can check.
import { describe, expect, it } from 'vitest';
import { IceServerIssuer, stunUrlForHost, turnRestPassword } from '../../../signaling/ice/ice-server-issuer.js';

const SECRET = 'parley-test-secret-0123456789';
const TURN = { urls: ['turn:turn.parley.test:3478?transport=udp', 'turns:turn.parley.test:5349?transport=tcp'], secret: SECRET, ttlSeconds: 1200 };

describe('stunUrlForHost', () => {
  it.each([
    ['parley.example:8443', 'stun:parley.example:3478'],
    ['Parley.Example', 'stun:parley.example:3478'],
    ['127.0.0.1:8080', 'stun:127.0.0.1:3478'],
    ['[2001:db8::1]:8080', 'stun:[2001:db8::1]:3478'],
    ['localhost', 'stun:localhost:3478'],
  ])('the page at %s asks %s', (host, url) => {
    expect(stunUrlForHost(host, 3478)).toBe(url);
  });

  // The Host header is the client's to write: what it writes must not become a URL that makes
  // RTCPeerConnection refuse the whole list, or a STUN request sent somewhere odd.
  it.each(['', 'evil host', 'a@b.example', 'x:1:2', 'a/b', 'turn:x', 'a\u0000b', '[::1', 'host:99999999', '-lead.example'])('offers no STUN for the Host %j', (host) => {
    expect(stunUrlForHost(host, 3478)).toBeUndefined();
  });
});

describe('IceServerIssuer', () => {
  it('lists the built-in STUN server at the host the browser used, with nothing that expires', () => {
    const issuer = new IceServerIssuer({ staticServers: [], stunPort: 3478, turn: undefined });
    expect(issuer.issue('chat.example.org', 'peer')).toEqual({ iceServers: [{ urls: 'stun:chat.example.org:3478' }] });
    expect(issuer.issuesTurnCredentials).toBe(false);
  });

  it('lists nothing when the STUN server is off and nothing is configured (host candidates only)', () => {
    expect(new IceServerIssuer({ staticServers: [], stunPort: undefined, turn: undefined }).issue('chat.example.org', 'peer')).toEqual({ iceServers: [] });
  });

  it("uses the operator's list instead of the built-in STUN, as a copy each time", () => {
    const staticServers = [{ urls: 'stun:stun.example.org:3478' }];
    const issuer = new IceServerIssuer({ staticServers, stunPort: 3478, turn: undefined });
    const issued = issuer.issue('chat.example.org', 'peer');
    expect(issued.iceServers).toEqual(staticServers);
    issued.iceServers[0]!.urls = 'stun:changed';
    expect(issuer.issue('chat.example.org', 'peer').iceServers).toEqual(staticServers);
  });

  it("adds TURN with a username of expiry and peer id, and coturn's password for it (a vector computed apart)", () => {
    const issuer = new IceServerIssuer({ staticServers: [], stunPort: 3478, turn: TURN, now: () => 1_800_000_000_000 });
    const issued = issuer.issue('chat.example.org', 'ada-peer-id-0000000000');
    expect(issued).toEqual({
      iceServers: [
        { urls: 'stun:chat.example.org:3478' },
        { urls: TURN.urls, username: '1800001200:ada-peer-id-0000000000', credential: 'rMyIh1KxxTyZofuX3tZVp30a0EA=' },
      ],
      iceServersValidForMs: 1_200_000,
    });
    expect(issuer.issuesTurnCredentials).toBe(true);
    expect(issuer.turnCredentialsIssued).toBe(1);
  });

  it('gives each connection, and each refresh, credentials of its own that run from the time of issue', () => {
    let now = 1_800_000_000_000;
    const issuer = new IceServerIssuer({ staticServers: [], stunPort: undefined, turn: TURN, now: () => now });
    const ada = issuer.issue('h', 'ada').iceServers[0]!;
    const bob = issuer.issue('h', 'bob').iceServers[0]!;
    now += 900_000;
    const adaLater = issuer.issue('h', 'ada').iceServers[0]!;
    expect(ada.username).toBe('1800001200:ada');
    expect(bob.username).toBe('1800001200:bob');
    expect(adaLater.username).toBe('1800002100:ada');
    expect(new Set([ada.credential, bob.credential, adaLater.credential]).size).toBe(3);
    // A member cannot stretch its credential: the password is for the username as issued.
    expect(turnRestPassword(SECRET, '1900000000:ada')).not.toBe(ada.credential);
    expect(issuer.turnCredentialsIssued).toBe(3);
  });
});
