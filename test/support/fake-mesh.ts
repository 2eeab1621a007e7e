// A stand-in for the peer mesh in the link supervisor's unit tests: it records what the supervisor
// asks for and holds the link states the test sets, with no WebRTC behind it.
import type { MeshControl } from '../../web/room/link-supervisor.js';
import type { LinkState } from '../../web/transport/peer-mesh.js';
import type { SignalData } from '../../protocol/signaling.js';

export class FakeMesh implements MeshControl {
  readonly states = new Map<string, LinkState>();
  /** Every call, in order: `connect <id>`, `remove <id>`, `signal <from> <type> <known>`. */
  readonly calls: string[] = [];

  connect(id: string): void {
    this.calls.push(`connect ${id}`);
    this.states.set(id, 'connecting');
  }

  remove(id: string): void {
    this.calls.push(`remove ${id}`);
    this.states.delete(id);
  }

  stateOf(id: string): LinkState | undefined {
    return this.states.get(id);
  }

  isConnected(id: string): boolean {
    const state = this.states.get(id);
    return state === 'connected' || state === 'unstable';
  }

  handleSignal(from: string, data: SignalData, isKnownMember: boolean): void {
    this.calls.push(`signal ${from} ${String(data.type)} ${isKnownMember}`);
    if (data.type === 'offer' && isKnownMember) this.states.set(from, 'connecting');
  }

  /** The connects made so far, by id. */
  connects(): string[] {
    return this.calls.filter((call) => call.startsWith('connect ')).map((call) => call.slice('connect '.length));
  }
}
