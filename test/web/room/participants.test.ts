import { describe, expect, it } from 'vitest';
import { ParticipantRegistry } from '../../../web/room/participants.js';

describe('ParticipantRegistry', () => {
  it('reports newcomers once, known members as admitted again, and removals', () => {
    const registry = new ParticipantRegistry();
    const events: string[] = [];
    registry.on('admitted', ({ participant, isNew }) => events.push(`admitted ${participant.name} ${isNew ? 'new' : 'again'}`));
    registry.on('removed', (participant) => events.push(`removed ${participant.name}`));
    registry.on('changed', (participant) => events.push(`changed ${participant.name} ${participant.state}`));
    registry.admit({ id: 'a' }, 'connecting');
    registry.rename('a', 'Ada L.');
    registry.admit({ id: 'a' }, 'connecting');
    registry.setState('a', 'connected');
    registry.setState('a', 'connected');
    registry.rename('a', 'Ada');
    registry.rename('a', 'Ada');
    registry.remove('a');
    registry.remove('a');
    expect(events).toEqual(['admitted  new', 'changed Ada L. connecting', 'admitted Ada L. again', 'changed Ada L. connected', 'changed Ada connected', 'removed Ada']);
  });

  it('knows no name until the peer says it, and tags each peer from its id', () => {
    const registry = new ParticipantRegistry();
    registry.admit({ id: 'AbCdEfGhIjKlMnOpQrStUv' }, 'connecting');
    expect(registry.get('AbCdEfGhIjKlMnOpQrStUv')).toEqual({
      id: 'AbCdEfGhIjKlMnOpQrStUv',
      name: '',
      tag: 'AbCd',
      state: 'connecting',
      proof: 'pending',
      verified: false,
      identityChanged: false,
    });
  });

  it('records what is known of who a peer is, and reports only real changes', () => {
    const registry = new ParticipantRegistry();
    const changes: string[] = [];
    registry.on('changed', (participant) => changes.push(`${participant.proof} ${participant.problem ?? '-'} ${participant.safetyCode ?? '-'}`));
    registry.admit({ id: 'a' }, 'connecting');
    registry.update('a', { proof: 'refused', problem: 'no-room-key' });
    registry.update('a', { proof: 'refused', problem: 'no-room-key' });
    registry.update('a', { proof: 'proven', problem: undefined, safetyCode: '1234 5678 9012' });
    expect(changes).toEqual(['refused no-room-key -', 'proven - 1234 5678 9012']);
    expect('problem' in registry.get('a')!).toBe(false);
  });

  it('hands out frozen copies, never its records', () => {
    const registry = new ParticipantRegistry();
    registry.admit({ id: 'a' }, 'connecting');
    const [copy] = registry.list();
    expect(() => ((copy as { state: string }).state = 'failed')).toThrow(TypeError);
    expect(registry.get('a')?.state).toBe('connecting');
  });

  it('knows who the server lists right now', () => {
    const registry = new ParticipantRegistry();
    registry.admit({ id: 'a' }, 'connecting');
    expect(registry.inRoom('a')).toBe(true);
    registry.markOutOfRoom('a');
    expect(registry.inRoom('a')).toBe(false);
    expect(registry.has('a')).toBe(true);
    registry.admit({ id: 'a' }, 'connecting');
    expect(registry.inRoom('a')).toBe(true);
  });
});
