import { assessReadiness, type ReadinessInput } from '../../domain/serving/readiness';

describe('assessReadiness (a model server is ready when what is assigned to it is Ready)', () => {
  const states: Record<string, string> = { v1: 'Ready', v2: 'Loading', v3: 'Failed' };
  const input = (over: Partial<ReadinessInput>): ReadinessInput => ({
    read: true,
    assigned: [],
    stateOf: (id) => states[id],
    refusedForCapacity: new Set(),
    ...over,
  });

  it.each<[string, Partial<ReadinessInput>, boolean, string[]]>([
    ['not read yet, even with nothing assigned', { read: false }, false, []],
    ['read, nothing assigned', {}, true, []],
    ['every assigned version Ready', { assigned: ['v1'] }, true, []],
    ['one still loading', { assigned: ['v1', 'v2'] }, false, ['v2']],
    ['one failed, waiting for its retry', { assigned: ['v3', 'v1'] }, false, ['v3']],
    ['one not started yet', { assigned: ['v4'] }, false, ['v4']],
    ['one refused for the memory budget does not hold it back', { assigned: ['v1', 'v4'], refusedForCapacity: new Set(['v4']) }, true, []],
  ])('%s', (_name, over, ready, waiting) => {
    const r = assessReadiness(input(over));
    expect(r.ready).toBe(ready);
    expect(r.waiting).toEqual(waiting);
    expect(r.reason === null).toBe(ready);
  });
});
