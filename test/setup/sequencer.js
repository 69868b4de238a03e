/**
 * Test order for the one jest run. The end-to-end files take one stack lock each
 * (test/helpers/e2e-lock.ts), so they run one after another; the longest of them goes first,
 * so that the other worker works through the unit, integration and workflow files meanwhile,
 * and the remaining end-to-end files come last. Within each group, jest's own order
 * (failed first, then slowest first).
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- jest loads this file as CommonJS, untransformed
const Sequencer = require('@jest/test-sequencer').default;

const FIRST_E2E = /strategies\.e2e\.test\.ts$/;
const E2E = /[\\/]test[\\/]e2e[\\/]/;

class HotSwapSequencer extends Sequencer {
  sort(tests) {
    const ordered = super.sort(tests);
    const rank = (t) => (FIRST_E2E.test(t.path) ? 0 : E2E.test(t.path) ? 2 : 1);
    return [...ordered].sort((a, b) => rank(a) - rank(b));
  }
}

module.exports = HotSwapSequencer;
