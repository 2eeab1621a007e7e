/**
 * How a direct connection goes, and why one failed, in terms a person can act on. The facts come
 * from the browser's ICE agent: the candidate pair it selected (getStats), the kinds of local
 * candidates it gathered, and the errors STUN and TURN servers answered while it gathered.
 */
import type { IceServer } from '../../protocol/signaling.js';

/**
 * - local-network: the other end was reached at an address of its own (same network, or no NAT
 *   on its side);
 * - through-nat: direct, to the public side of the other end's router (found with STUN, or
 *   learned from its checks);
 * - relayed: through a TURN server (no direct path was allowed).
 */
export type LinkRoute = 'local-network' | 'through-nat' | 'relayed';

export type CandidateType = 'host' | 'srflx' | 'prflx' | 'relay';

export interface LinkPath {
  route: LinkRoute;
  /** The candidate types of the selected pair, this side's first. */
  localCandidate: CandidateType;
  remoteCandidate: CandidateType;
  /** The transport of the selected pair: 'udp' or 'tcp' (a TURN relay over TCP shows here as its relay's). */
  protocol: string;
  /** The latest round-trip time of ICE checks on the pair, when the browser reports one. */
  roundTripMs?: number;
}

/**
 * Why a connection could not be made, from this side's view:
 * - no-ice-servers: no STUN or TURN at all, so only peers on the same network can connect;
 * - no-turn: STUN found no path and no TURN server is configured (strict networks need one);
 * - turn-refused: the TURN server refused the credentials (expired, or not made with its secret);
 * - turn-unreachable: a TURN server is configured but gave no relay address and no answer;
 * - no-path: this side had a relay address, yet no path to the other side worked.
 */
export type LinkFailure = 'no-ice-servers' | 'no-turn' | 'turn-refused' | 'turn-unreachable' | 'no-path';

export interface CandidateError {
  url: string;
  errorCode: number;
  errorText: string;
}

/** What a link saw while it tried to connect. */
export interface LinkObservations {
  gatheredTypes: ReadonlySet<CandidateType>;
  candidateErrors: readonly CandidateError[];
}

const CANDIDATE_TYPES: readonly string[] = ['host', 'srflx', 'prflx', 'relay'];

/** The type in an ICE candidate line (`candidate:… typ srflx raddr …`), if it has a known one. */
export function candidateTypeOf(line: string): CandidateType | undefined {
  const type = /\btyp (\w+)/.exec(line)?.[1];
  return type !== undefined && CANDIDATE_TYPES.includes(type) ? (type as CandidateType) : undefined;
}

export function routeOf(local: CandidateType, remote: CandidateType): LinkRoute {
  if (local === 'relay' || remote === 'relay') return 'relayed';
  if (remote === 'host') return 'local-network';
  return 'through-nat';
}

type StatsEntry = Record<string, unknown> & { id: string; type: string };

/**
 * The selected candidate pair in a getStats() report: Chromium names it on the transport
 * (`selectedCandidatePairId`), Firefox marks the pair itself (`selected`).
 */
export function pathFromStats(report: Iterable<StatsEntry>): LinkPath | undefined {
  const entries = new Map<string, StatsEntry>();
  for (const entry of report) entries.set(entry.id, entry);
  let pair: StatsEntry | undefined;
  for (const entry of entries.values()) {
    if (entry.type === 'transport' && typeof entry.selectedCandidatePairId === 'string') pair = entries.get(entry.selectedCandidatePairId);
    if (pair) break;
  }
  pair ??= [...entries.values()].find((entry) => entry.type === 'candidate-pair' && entry.selected === true);
  pair ??= [...entries.values()].find((entry) => entry.type === 'candidate-pair' && entry.nominated === true && entry.state === 'succeeded');
  if (!pair) return undefined;
  const local = entries.get(String(pair.localCandidateId));
  const remote = entries.get(String(pair.remoteCandidateId));
  const localType = String(local?.candidateType);
  const remoteType = String(remote?.candidateType);
  if (!CANDIDATE_TYPES.includes(localType) || !CANDIDATE_TYPES.includes(remoteType)) return undefined;
  // A peer-reflexive remote is an address learned from the other side's checks, before (or
  // instead of) its candidate arrived: on one network, that is its own address, one it also
  // announced as a host candidate (or, on one machine, ours); through NAT, its router's.
  // Chromium leaves a peer-reflexive candidate's address out of its stats until the candidate it
  // stands for arrives: until then the route is unknown, not "through NAT" (the next reading has it).
  if (remoteType === 'prflx' && localType !== 'relay' && addressOf(remote!) === '') return undefined;
  const ownAddresses = new Set(
    [...entries.values()].filter((entry) => entry.type === 'remote-candidate' && entry.candidateType === 'host').map(addressOf),
  );
  ownAddresses.add(addressOf(local!));
  const remoteReachedAtItsOwnAddress = remoteType === 'prflx' && ownAddresses.has(addressOf(remote!));
  const path: LinkPath = {
    route: routeOf(localType as CandidateType, remoteReachedAtItsOwnAddress ? 'host' : (remoteType as CandidateType)),
    localCandidate: localType as CandidateType,
    remoteCandidate: remoteType as CandidateType,
    protocol: typeof local?.protocol === 'string' ? local.protocol : 'udp',
  };
  const roundTripSeconds =
    typeof pair.currentRoundTripTime === 'number'
      ? pair.currentRoundTripTime
      : typeof pair.totalRoundTripTime === 'number' && typeof pair.responsesReceived === 'number' && pair.responsesReceived > 0
        ? pair.totalRoundTripTime / pair.responsesReceived
        : undefined;
  // Zero is no measurement (Firefox reports zero totals before its first timed response).
  if (roundTripSeconds !== undefined && Number.isFinite(roundTripSeconds) && roundTripSeconds > 0) path.roundTripMs = Math.round(roundTripSeconds * 10_000) / 10;
  return path;
}

/** A candidate's address in stats (`address`; older Chromium named it `ip`). */
function addressOf(candidate: StatsEntry): string {
  return String(candidate.address ?? candidate.ip ?? '');
}

function urlsOf(server: IceServer): string[] {
  return typeof server.urls === 'string' ? [server.urls] : server.urls;
}

/** TURN answers that mean "these credentials are not accepted" (RFC 8656: 401 Unauthorized, 403 Forbidden, 437 Allocation Mismatch, 441 Wrong Credentials). */
const CREDENTIAL_ERRORS = [401, 403, 437, 441];

/** Why a connection that never opened (or failed) could not be made, from what its link saw. */
export function diagnoseFailure(iceServers: readonly IceServer[], seen: LinkObservations): LinkFailure {
  const urls = iceServers.flatMap(urlsOf);
  const turnUrls = urls.filter((url) => /^turns?:/i.test(url));
  if (turnUrls.length > 0) {
    const turnErrors = seen.candidateErrors.filter((error) => /^turns?:/i.test(error.url) || turnUrls.includes(error.url));
    if (!seen.gatheredTypes.has('relay') && turnErrors.some((error) => CREDENTIAL_ERRORS.includes(error.errorCode))) return 'turn-refused';
    if (!seen.gatheredTypes.has('relay')) return 'turn-unreachable';
    return 'no-path';
  }
  return urls.length === 0 ? 'no-ice-servers' : 'no-turn';
}
