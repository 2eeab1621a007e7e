/**
 * The link supervisor: every decision about the direct connections of a room — who makes the
 * offer, when to fall back to offering ourselves, when and how often to rebuild a broken link, how
 * long to keep a member the server says has left while its link still works — with the timers and
 * the mesh queries those decisions need. It reads and updates the participant registry; it never
 * touches the conversation or the signaling socket.
 */
import { systemClock, type Clock, type TimerHandle } from '../shared/clock.js';
import type { LinkState, PeerMesh } from '../transport/peer-mesh.js';
import type { ParticipantRegistry } from './participants.js';
import { LeaveReason, type Member, type SignalData } from '../../protocol/signaling.js';

/**
 * Members offer to a newcomer. If a member the welcome listed has not offered by then (its page
 * predates this rule, or its offer was lost), the newcomer makes the offer itself.
 */
export const OFFER_FALLBACK_MS = 2000;
/** Rebuilding a broken direct connection gives up after this many attempts in a row. */
export const MAX_HEAL_ATTEMPTS = 6;
/**
 * Heal attempt n waits n times a step: a short one for the side with the smaller id (it offers),
 * a long one for the other (it offers only if the first side never noticed the break).
 */
export const HEAL_STEP_FIRST_MS = 200;
export const HEAL_STEP_SECOND_MS = 2500;
/** Added at random to each heal delay, so both sides' attempts do not meet in lockstep. */
export const HEAL_JITTER_MS = 200;
/**
 * A member the server says has left, but whose direct link still works, is kept this long: its
 * signaling may just be reconnecting. If it has not rejoined by then, it is gone.
 */
export const LEFT_WITH_LINK_GRACE_MS = 8000;
/**
 * A member the server says was lost (its signaling connection died without a goodbye: its server
 * instance was killed, or its machine went off the network) may still seem connected here for
 * several seconds until the browser notices the link is dead. It is asked to answer over the link;
 * without an answer in this time it is gone.
 */
export const LOST_PROBE_MS = 1500;

/** The part of the peer mesh the supervisor drives. */
export type MeshControl = Pick<PeerMesh, 'connect' | 'remove' | 'stateOf' | 'isConnected' | 'handleSignal'>;

/** Asks a member to answer over its direct link (a ping); false if it cannot be asked now. */
export type LinkProbe = (id: string) => boolean;

export interface LinkSupervisorOptions {
  selfId: string;
  mesh: MeshControl;
  participants: ParticipantRegistry;
  /** Whether we are in the room through signaling right now. */
  isJoined: () => boolean;
  /** Asks a member to answer over its direct link; its answer comes back through onPeerAnswered. */
  probe: LinkProbe;
  clock?: Clock;
  /** For the heal jitter; [0, 1). */
  random?: () => number;
}

/** What the supervisor keeps per member: its pending decisions. */
interface LinkWatch {
  healAttempts: number;
  /** An offer of ours waiting to be made: a heal attempt, or the fallback for an offer that did not come. */
  offerTimer?: TimerHandle;
  /** Running while the server says it left but its direct link still works. */
  leftTimer?: TimerHandle;
  /** Running while a member the server lost has not answered our probe. */
  probeTimer?: TimerHandle;
}

export class LinkSupervisor {
  readonly #watches = new Map<string, LinkWatch>();
  readonly #selfId: string;
  readonly #mesh: MeshControl;
  readonly #participants: ParticipantRegistry;
  readonly #isJoined: () => boolean;
  readonly #probe: LinkProbe;
  readonly #clock: Clock;
  readonly #random: () => number;

  constructor({ selfId, mesh, participants, isJoined, probe, clock = systemClock, random = Math.random }: LinkSupervisorOptions) {
    this.#selfId = selfId;
    this.#mesh = mesh;
    this.#participants = participants;
    this.#isJoined = isJoined;
    this.#probe = probe;
    this.#clock = clock;
    this.#random = random;
  }

  /**
   * We are in the room; `members` are the others. Members we had no working link with and the
   * server no longer lists are gone. The members make the offers (see onPeerJoined): their pages
   * are loaded and idle while ours is still starting, so their offers are ready sooner. Peers we
   * still have a link with (after a signaling reconnect, direct links usually survive) need none.
   * A reloaded tab (`resumedTab`) offers at once: a member that has not yet noticed its previous
   * page is gone still holds a link to it, and so makes no offer.
   */
  onWelcome(members: readonly Member[], resumedTab: boolean): void {
    const listed = new Set(members.map((member) => member.id));
    for (const id of this.#participants.ids()) {
      if (!listed.has(id) && !this.#mesh.isConnected(id)) this.dismiss(id);
    }
    for (const member of members) {
      this.admit(member);
      if (this.#mesh.stateOf(member.id) !== undefined) continue;
      if (resumedTab) this.#mesh.connect(member.id);
      else this.offerIfNotOffered(member.id);
    }
  }

  /** A newcomer: we offer at once, unless a link to it already works. */
  onPeerJoined(member: Member): void {
    this.admit(member);
    const { id } = member;
    if (this.#mesh.isConnected(id)) return;
    if (this.#mesh.stateOf(id) === undefined) {
      this.#clock.clearTimeout(this.#watches.get(id)?.offerTimer);
      this.#mesh.connect(id);
    }
    this.#participants.setState(id, 'connecting');
  }

  /**
   * The server says `id` left. If it said so itself, its end of the direct link is closing too,
   * even if that has not shown here yet. A link that still works may only mean its signaling is
   * reconnecting: it is kept for a grace period. If the server lost it, the link may only seem to
   * work (the browser notices a dead link after seconds): it must answer a probe to be kept.
   */
  onPeerLeft(id: string, reason: LeaveReason): void {
    if (!this.#participants.has(id)) return;
    this.#participants.markOutOfRoom(id);
    if (reason === LeaveReason.Left) this.#mesh.remove(id);
    if (!this.#mesh.isConnected(id)) {
      this.dismiss(id);
      return;
    }
    const watch = this.watch(id);
    this.#clock.clearTimeout(watch.leftTimer);
    watch.leftTimer = this.#clock.setTimeout(() => {
      if (!this.#participants.inRoom(id)) this.dismiss(id);
    }, LEFT_WITH_LINK_GRACE_MS);
    if (reason === LeaveReason.Lost) {
      this.#clock.clearTimeout(watch.probeTimer);
      const dismissIfSilent = (): void => {
        if (!this.#participants.inRoom(id)) this.dismiss(id);
      };
      if (!this.#probe(id)) {
        dismissIfSilent();
        return;
      }
      watch.probeTimer = this.#clock.setTimeout(dismissIfSilent, LOST_PROBE_MS);
    }
  }

  /** `id` answered our probe: its link works, so it is kept for the usual grace. */
  onPeerAnswered(id: string): void {
    const watch = this.#watches.get(id);
    if (!watch) return;
    this.#clock.clearTimeout(watch.probeTimer);
    watch.probeTimer = undefined;
  }

  /** A signal from `from`; only a member the server lists may start a connection with an offer. */
  onSignal(from: string, data: SignalData): void {
    this.#mesh.handleSignal(from, data, this.#participants.inRoom(from));
  }

  /**
   * Signaling is down: membership is now known only through working direct links. Those stay;
   * members we had no working link with are dropped (they reappear on rejoin).
   */
  onSignalingLost(): void {
    for (const id of this.#participants.ids()) {
      this.#participants.markOutOfRoom(id);
      if (!this.#mesh.isConnected(id)) this.dismiss(id);
    }
  }

  onLinkState(id: string, state: LinkState): void {
    const participant = this.#participants.get(id);
    if (!participant) return;
    if (state === 'connected') {
      const watch = this.#watches.get(id);
      if (watch) {
        watch.healAttempts = 0;
        this.#clock.clearTimeout(watch.offerTimer);
      }
      this.#participants.setState(id, 'connected');
    } else if (state === 'unstable') {
      this.#participants.setState(id, 'reconnecting');
    } else if (participant.state !== 'reconnecting') {
      this.#participants.setState(id, 'connecting');
    }
  }

  /** A link ended. Without signaling, or after the server said the member left, it is gone. */
  onLinkClosed(id: string): void {
    if (!this.#participants.has(id)) return;
    if (!this.#isJoined() || !this.#participants.inRoom(id)) {
      this.dismiss(id);
      return;
    }
    this.#participants.setState(id, 'reconnecting');
    this.scheduleHeal(id);
  }

  /**
   * `id`'s connection cannot be trusted (it failed its proof): it is closed, shown as failed, and
   * not rebuilt until the server announces it again.
   */
  giveUp(id: string): void {
    this.#mesh.remove(id);
    const watch = this.#watches.get(id);
    if (watch) this.stopTimers(watch);
    this.#watches.delete(id);
    this.#participants.setState(id, 'failed');
  }

  /** `id` is gone for good (it left, said goodbye, or could not be kept): its link closes too. */
  dismiss(id: string): void {
    this.#mesh.remove(id);
    const watch = this.#watches.get(id);
    if (watch) this.stopTimers(watch);
    this.#watches.delete(id);
    this.#participants.remove(id);
  }

  /** Stops every pending decision (the room is closing). */
  dispose(): void {
    for (const watch of this.#watches.values()) this.stopTimers(watch);
    this.#watches.clear();
  }

  private admit(member: Member): void {
    const watch = this.#watches.get(member.id);
    if (watch) {
      this.#clock.clearTimeout(watch.leftTimer);
      this.#clock.clearTimeout(watch.probeTimer);
    }
    this.#participants.admit(member, this.#mesh.isConnected(member.id) ? 'connected' : 'connecting');
  }

  private watch(id: string): LinkWatch {
    let watch = this.#watches.get(id);
    if (!watch) {
      watch = { healAttempts: 0 };
      this.#watches.set(id, watch);
    }
    return watch;
  }

  private stopTimers(watch: LinkWatch): void {
    this.#clock.clearTimeout(watch.offerTimer);
    this.#clock.clearTimeout(watch.leftTimer);
    this.#clock.clearTimeout(watch.probeTimer);
  }

  /** A delayed offer still makes sense: the member is still in the room, and so are we. */
  private mayOfferTo(id: string): boolean {
    return this.#participants.inRoom(id) && this.#isJoined();
  }

  /** Offers to a member the welcome listed, unless its own offer arrives first. */
  private offerIfNotOffered(id: string): void {
    const watch = this.watch(id);
    this.#clock.clearTimeout(watch.offerTimer);
    watch.offerTimer = this.#clock.setTimeout(() => {
      if (!this.mayOfferTo(id)) return;
      if (this.#mesh.stateOf(id) === undefined) this.#mesh.connect(id);
    }, OFFER_FALLBACK_MS);
  }

  /**
   * Rebuilds a broken link through signaling. The side with the smaller id offers first; the
   * other offers too after a longer wait, in case only it noticed the break (a collision is
   * settled by the mesh). Gives up after MAX_HEAL_ATTEMPTS.
   */
  private scheduleHeal(id: string): void {
    const watch = this.watch(id);
    this.#clock.clearTimeout(watch.offerTimer);
    watch.healAttempts += 1;
    if (watch.healAttempts > MAX_HEAL_ATTEMPTS) {
      this.#participants.setState(id, 'failed');
      return;
    }
    const first = this.#selfId < id;
    const delayMs = (first ? HEAL_STEP_FIRST_MS : HEAL_STEP_SECOND_MS) * watch.healAttempts + this.#random() * HEAL_JITTER_MS;
    watch.offerTimer = this.#clock.setTimeout(() => {
      if (!this.mayOfferTo(id)) return;
      if (this.#mesh.isConnected(id)) return;
      if (this.#mesh.stateOf(id) === 'connecting' && !first) return; // their offer is being answered
      this.#mesh.connect(id);
    }, delayMs);
  }
}
