import { describe, expect, it } from 'vitest';
import { ParticipantRegistry } from '../../../web/room/participants.js';

describe('ParticipantRegistry', () => {
  it('reports newcomers once, known members as admitted again, and removals', () => {
    const registry = new ParticipantRegistry();
    const events: string[] = [];
    registry.on('admitted', ({ participant, isNew }) => events.push(`admitted ${participant.name} ${isNew ? 'new' : 'again'}`));
    registry.on('removed', (participant) => events.push(`removed ${participant.name}`));
    registry.on('changed', (participant) => events.push(`changed ${participant.name} ${participant.state}`));
    registry.admit({ id: 'a', name: 'Ada' }, 'connecting');
    registry.admit({ id: 'a', name: 'Ada L.' }, 'connecting');
    registry.setState('a', 'connected');
    registry.setState('a', 'connected');
    registry.rename('a', 'Ada');
    registry.remove('a');
    registry.remove('a');
    expect(events).toEqual(['admitted Ada new', 'admitted Ada L. again', 'changed Ada L. connected', 'changed Ada connected', 'removed Ada']);
  });

  it('hands out frozen copies, never its records', () => {
    const registry = new ParticipantRegistry();
    registry.admit({ id: 'a', name: 'Ada' }, 'connecting');
    const [copy] = registry.list();
    expect(() => ((copy as { state: string }).state = 'failed')).toThrow(TypeError);
    expect(registry.get('a')?.state).toBe('connecting');
  });

  it('knows who the server lists right now', () => {
    const registry = new ParticipantRegistry();
    registry.admit({ id: 'a', name: 'Ada' }, 'connecting');
    expect(registry.inRoom('a')).toBe(true);
    registry.markOutOfRoom('a');
    expect(registry.inRoom('a')).toBe(false);
    expect(registry.has('a')).toBe(true);
    registry.admit({ id: 'a', name: 'Ada' }, 'connecting');
    expect(registry.inRoom('a')).toBe(true);
  });
});
