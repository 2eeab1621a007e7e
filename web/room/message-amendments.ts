/**
 * What has been done to messages after they were sent: their authors' edits and deletions, and
 * everyone's reactions. Each is a signed act (checked before it gets here); this class only keeps
 * them and says what a message looks like now. Every peer reaches the same state whatever order the
 * acts arrived in: an author's acts are numbered (their ids' sequence), so of two edits, or two
 * toggles of one reaction, the higher sequence wins; a deletion is final.
 *
 * Acts may arrive before the message they are about (history is merged in any order); they are
 * kept, for at most `maxTargets` messages (the ones touched longest ago are forgotten first).
 */
import { authorOf, sequenceOf } from '../../protocol/ids.js';
import type { Act, HistoryAct } from '../../protocol/peer.js';

/** An act that changes another message. */
export type AmendmentAct = HistoryAct & { act: Extract<Act, { kind: 'edit' | 'delete' | 'react' }> };

export interface Reaction {
  readonly emoji: string;
  /** Peer ids of who reacted so, in the order they did. */
  readonly by: readonly string[];
}

/** A message as its amendments leave it. */
export interface AmendedState {
  /** The latest text its author gave it, if edited (and not deleted). */
  readonly text?: string;
  /** When it was last edited (its author's clock). */
  readonly editedAt?: number;
  readonly deleted: boolean;
  /** Reactions in the order they were first made, each with at least one reactor. */
  readonly reactions: readonly Reaction[];
}

/** What an act changed about its message. */
export type AmendmentChange = 'edited' | 'deleted' | 'reactions';

interface TargetActs {
  edit?: AmendmentAct;
  delete?: AmendmentAct;
  /** The latest reaction act per reactor and emoji, keyed `<reactor> <emoji>`. */
  readonly reactions: Map<string, AmendmentAct>;
}

const newer = (a: AmendmentAct, b: AmendmentAct | undefined): boolean => !b || sequenceOf(a.id) > sequenceOf(b.id);

export class MessageAmendments {
  readonly #targets = new Map<string, TargetActs>();

  constructor(private readonly maxTargets: number) {}

  /**
   * Keeps an act about `act.act.to`; returns what it changed, or undefined when it changes nothing
   * (a repeat, an older act than one already kept, an edit after the deletion). Edits and
   * deletions must be the target's author's own: the caller checks, this class trusts it.
   */
  add(act: AmendmentAct): AmendmentChange | undefined {
    const target = act.act.to;
    let acts = this.#targets.get(target);
    if (!acts) {
      acts = { reactions: new Map() };
      this.#targets.set(target, acts);
      if (this.#targets.size > this.maxTargets) this.#targets.delete(this.#targets.keys().next().value!);
    }
    switch (act.act.kind) {
      case 'edit':
        if (acts.delete || !newer(act, acts.edit)) return undefined;
        acts.edit = act;
        return 'edited';
      case 'delete':
        if (acts.delete) return undefined;
        acts.delete = act;
        acts.edit = undefined;
        return 'deleted';
      case 'react': {
        const key = `${authorOf(act.id)} ${act.act.emoji}`;
        const kept = acts.reactions.get(key);
        if (!newer(act, kept)) return undefined;
        acts.reactions.set(key, act);
        const wasOn = kept?.act.kind === 'react' && kept.act.on;
        return wasOn === act.act.on ? undefined : 'reactions';
      }
      default: {
        const unknownAct: never = act.act;
        throw new Error(`not an amendment: ${JSON.stringify(unknownAct)}`);
      }
    }
  }

  /** What the acts kept about `target` make of it, or undefined if there are none. */
  stateOf(target: string): AmendedState | undefined {
    const acts = this.#targets.get(target);
    if (!acts) return undefined;
    const byEmoji = new Map<string, string[]>();
    const on = [...acts.reactions.values()].filter((act) => act.act.kind === 'react' && act.act.on).sort((a, b) => a.sentAt - b.sentAt);
    for (const act of on) {
      const emoji = (act.act as { emoji: string }).emoji;
      byEmoji.set(emoji, [...(byEmoji.get(emoji) ?? []), authorOf(act.id)]);
    }
    const edit = acts.edit?.act.kind === 'edit' ? acts.edit : undefined;
    return {
      ...(edit ? { text: (edit.act as { text: string }).text, editedAt: edit.sentAt } : {}),
      deleted: acts.delete !== undefined,
      reactions: [...byEmoji].map(([emoji, by]) => ({ emoji, by })),
    };
  }

  /** Whether `reactor`'s reaction `emoji` to `target` is on now. */
  hasReacted(target: string, reactor: string, emoji: string): boolean {
    const act = this.#targets.get(target)?.reactions.get(`${reactor} ${emoji}`);
    return act?.act.kind === 'react' && act.act.on;
  }

  /** The acts that give `target` its state, to pass on in history: the deletion, or the latest edit, then every reaction act. */
  actsAbout(target: string): AmendmentAct[] {
    const acts = this.#targets.get(target);
    if (!acts) return [];
    const change = acts.delete ?? acts.edit;
    return [...(change ? [change] : []), ...acts.reactions.values()];
  }

  /** The message left the log: its acts are no longer needed. */
  forget(target: string): void {
    this.#targets.delete(target);
  }
}
