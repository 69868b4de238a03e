import { groupOf, mergeGroupCounts, MAX_GROUPS_PER_ATTRIBUTE, observeGroups, OTHER_GROUP, positiveClass, summarizeFairness, type GroupCounts } from '../../domain/metrics';

describe('fairness group counts', () => {
  it.each([
    ['a string', 'online', 'online'],
    ['a boolean', true, 'true'],
    ['a number', 3, '3'],
    ['an absent feature', undefined, '(missing)'],
  ])('names the group of %s', (_name, value, group) => {
    expect(groupOf(value)).toBe(group);
  });

  it.each([
    [['legit', 'fraud'], 'fraud'],
    [[0, 1], 1],
    [['a', 'b', 'c'], undefined],
    [undefined, undefined],
  ])('takes the last class of a binary classifier as positive: %j → %j', (classes, positive) => {
    expect(positiveClass(classes)).toBe(positive);
  });

  it('gives the doc comment\'s worked example', () => {
    const counts: GroupCounts = {};
    const obs = (intl: boolean, correct: boolean, positive: boolean) => mergeGroupCounts(counts, observeGroups(['is_international'], { is_international: intl }, { task: 'classification', correct, positive }));
    // International: 4 labelled, 3 right, 2 predicted fraud; domestic: 6, all right, none predicted fraud.
    [[true, true], [true, true], [false, false], [true, false]].forEach(([correct, positive]) => obs(true, correct, positive));
    for (let i = 0; i < 6; i++) obs(false, true, false);
    expect(summarizeFairness(counts, 'classification', true)).toEqual([
      {
        attribute: 'is_international',
        groups: [
          { value: 'false', count: 6, accuracy: 1, positiveRate: 0, mae: null },
          { value: 'true', count: 4, accuracy: 0.75, positiveRate: 0.5, mae: null },
        ],
        accuracyGap: 0.25,
        positiveRateGap: 0.5,
        maeGap: null,
      },
    ]);
  });

  it('counts regression errors per group, without positive rates', () => {
    const counts: GroupCounts = {};
    mergeGroupCounts(counts, observeGroups(['region'], { region: 'north' }, { task: 'regression', error: -2 }));
    mergeGroupCounts(counts, observeGroups(['region'], { region: 'north' }, { task: 'regression', error: 4 }));
    mergeGroupCounts(counts, observeGroups(['region'], { region: 'south' }, { task: 'regression', error: 1 }));
    expect(summarizeFairness(counts, 'regression', false)[0]).toMatchObject({
      groups: [
        { value: 'north', count: 2, mae: 3, accuracy: null, positiveRate: null },
        { value: 'south', count: 1, mae: 1 },
      ],
      maeGap: 2,
      accuracyGap: null,
    });
  });

  it('folds values past the limit into "(other)", and a single group has no gap', () => {
    const counts: GroupCounts = {};
    for (let i = 0; i < MAX_GROUPS_PER_ATTRIBUTE + 5; i++) mergeGroupCounts(counts, observeGroups(['amount'], { amount: i }, { task: 'classification', correct: true, positive: false }));
    expect(Object.keys(counts.amount)).toHaveLength(MAX_GROUPS_PER_ATTRIBUTE + 1);
    expect(counts.amount[OTHER_GROUP].n).toBe(5);
    const one: GroupCounts = {};
    mergeGroupCounts(one, observeGroups(['a'], { a: 'x' }, { task: 'classification', correct: true, positive: true }));
    expect(summarizeFairness(one, 'classification', true)[0]).toMatchObject({ accuracyGap: null, positiveRateGap: null });
  });
});
