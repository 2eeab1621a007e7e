// Reading how a connection goes from the browser's stats (as Chromium and Firefox report them),
// and why one failed from what its ICE agent saw.
import { describe, expect, it } from 'vitest';
import { candidateTypeOf, diagnoseFailure, pathFromStats, routeOf, type CandidateType, type LinkObservations } from '../../../web/transport/link-diagnosis.js';

type Entry = Record<string, unknown> & { id: string; type: string };

function candidate(id: string, side: 'local' | 'remote', candidateType: CandidateType, address: string, extra: Record<string, unknown> = {}): Entry {
  return { id, type: `${side}-candidate`, candidateType, address, port: 40000, protocol: 'udp', ...extra };
}

/** Chromium: the transport names the selected pair; every remote candidate is listed. */
function chromiumReport(local: Entry, remote: Entry, others: Entry[] = [], rttSeconds = 0.0123): Entry[] {
  return [
    local,
    remote,
    ...others,
    { id: 'P1', type: 'candidate-pair', localCandidateId: local.id, remoteCandidateId: remote.id, state: 'succeeded', nominated: true, currentRoundTripTime: rttSeconds },
    { id: 'P2', type: 'candidate-pair', localCandidateId: local.id, remoteCandidateId: 'nope', state: 'failed' },
    { id: 'T', type: 'transport', selectedCandidatePairId: 'P1' },
  ];
}

describe('pathFromStats', () => {
  it('reads a relayed pair over TCP, with its round trip, from a Chromium report', () => {
    const path = pathFromStats(chromiumReport(candidate('L', 'local', 'relay', '203.0.113.1', { protocol: 'tcp' }), candidate('R', 'remote', 'srflx', '203.0.113.11')));
    expect(path).toEqual({ route: 'relayed', localCandidate: 'relay', remoteCandidate: 'srflx', protocol: 'tcp', roundTripMs: 12.3 });
  });

  it('reads direct through NAT: our host address to the public side of their router', () => {
    const path = pathFromStats(chromiumReport(candidate('L', 'local', 'host', '198.51.100.2'), candidate('R', 'remote', 'prflx', '203.0.113.11'), [candidate('H', 'remote', 'host', '198.51.100.18')]));
    expect(path?.route).toBe('through-nat');
  });

  it('takes a peer-reflexive remote at an address it announced as its own for the local network', () => {
    const path = pathFromStats(chromiumReport(candidate('L', 'local', 'host', '198.51.100.2'), candidate('R', 'remote', 'prflx', '198.51.100.3'), [candidate('H', 'remote', 'host', '198.51.100.3')]));
    expect(path).toMatchObject({ route: 'local-network', remoteCandidate: 'prflx' });
  });

  it('reads a Firefox report: the selected pair is marked on itself, round trip from totals', () => {
    const local = candidate('L', 'local', 'host', '198.51.100.2');
    const remote = candidate('R', 'remote', 'host', '198.51.100.3');
    const path = pathFromStats([
      local,
      remote,
      { id: 'P0', type: 'candidate-pair', localCandidateId: 'L', remoteCandidateId: 'X', state: 'failed' },
      { id: 'P1', type: 'candidate-pair', localCandidateId: 'L', remoteCandidateId: 'R', state: 'succeeded', selected: true, nominated: true, totalRoundTripTime: 0.004, responsesReceived: 4 },
    ]);
    expect(path).toEqual({ route: 'local-network', localCandidate: 'host', remoteCandidate: 'host', protocol: 'udp', roundTripMs: 1 });
  });

  it('says nothing of a peer-reflexive remote whose address the browser has not given yet', () => {
    const path = pathFromStats(chromiumReport(candidate('L', 'local', 'host', '198.51.100.2'), { ...candidate('R', 'remote', 'prflx', ''), address: undefined }));
    expect(path).toBeUndefined();
    // Through our relay, the route is known whatever the other end's address.
    const relayed = pathFromStats(chromiumReport(candidate('L', 'local', 'relay', '203.0.113.1'), { ...candidate('R', 'remote', 'prflx', ''), address: undefined }));
    expect(relayed?.route).toBe('relayed');
  });

  it('gives no round trip rather than zero', () => {
    const path = pathFromStats(chromiumReport(candidate('L', 'local', 'host', '198.51.100.2'), candidate('R', 'remote', 'host', '198.51.100.3'), [], 0));
    expect(path).toBeDefined();
    expect(path?.roundTripMs).toBeUndefined();
  });

  it('says nothing while no pair is selected, or of candidates of unknown kinds', () => {
    expect(pathFromStats([candidate('L', 'local', 'host', '198.51.100.2')])).toBeUndefined();
    const odd = chromiumReport({ ...candidate('L', 'local', 'host', '198.51.100.2'), candidateType: 'weird' }, candidate('R', 'remote', 'host', '198.51.100.3'));
    expect(pathFromStats(odd)).toBeUndefined();
  });
});

describe('routeOf and candidateTypeOf', () => {
  it.each([
    ['host', 'host', 'local-network'],
    ['host', 'srflx', 'through-nat'],
    ['srflx', 'prflx', 'through-nat'],
    ['relay', 'host', 'relayed'],
    ['host', 'relay', 'relayed'],
  ] as const)('%s ↔ %s is %s', (local, remote, route) => {
    expect(routeOf(local, remote)).toBe(route);
  });

  it('reads the type of a candidate line', () => {
    expect(candidateTypeOf('candidate:1 1 udp 1686052607 203.0.113.10 48055 typ srflx raddr 198.51.100.2 rport 48055')).toBe('srflx');
    expect(candidateTypeOf('candidate:2 1 udp 41885439 203.0.113.1 50000 typ relay raddr 203.0.113.10 rport 1')).toBe('relay');
    expect(candidateTypeOf('candidate:3 1 udp 1 1.2.3.4 5 typ bogus')).toBeUndefined();
    expect(candidateTypeOf('')).toBeUndefined();
  });
});

describe('diagnoseFailure', () => {
  const seen = (types: CandidateType[], errors: [string, number][] = []): LinkObservations => ({
    gatheredTypes: new Set(types),
    candidateErrors: errors.map(([url, errorCode]) => ({ url, errorCode, errorText: '' })),
  });
  const STUN = [{ urls: 'stun:parley.test:3478' }];
  const TURN = [...STUN, { urls: ['turn:parley.test:3478?transport=udp'], username: 'u', credential: 'p' }];

  it('no ICE servers at all: only the same network can work', () => {
    expect(diagnoseFailure([], seen(['host']))).toBe('no-ice-servers');
  });

  it('STUN only: no TURN server is configured', () => {
    expect(diagnoseFailure(STUN, seen(['host', 'srflx']))).toBe('no-turn');
  });

  it('TURN answered 401 and gave no relay: it refused the credentials', () => {
    expect(diagnoseFailure(TURN, seen(['host', 'srflx'], [['turn:parley.test:3478?transport=udp', 401]]))).toBe('turn-refused');
  });

  it('TURN gave no relay and no refusal: unreachable', () => {
    expect(diagnoseFailure(TURN, seen(['host', 'srflx'], [['turn:parley.test:3478?transport=udp', 701]]))).toBe('turn-unreachable');
    expect(diagnoseFailure(TURN, seen(['host']))).toBe('turn-unreachable');
  });

  it('a relay address was there, yet nothing worked: no path', () => {
    expect(diagnoseFailure(TURN, seen(['host', 'srflx', 'relay']))).toBe('no-path');
  });

  it('a STUN server error is not a TURN refusal', () => {
    expect(diagnoseFailure(TURN, seen(['host'], [['stun:parley.test:3478', 401]]))).toBe('turn-unreachable');
  });
});
