/**
 * Test order for the one jest run: every unit, integration and workflow file first (jest's own
 * order: failed first, then slowest first), then the end-to-end files, longest first. The
 * end-to-end files take one stack lock each (test/helpers/e2e-lock.ts) and so run one after
 * another, on a machine the other tests have left. Why: an end-to-end stack under constant
 * load next to the time-skipping workflow tests starved both on two cores (workflow tests hung
 * past their timeouts; canary windows saw no candidate traffic).
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- jest loads this file as CommonJS, untransformed
const Sequencer = require('@jest/test-sequencer').default;

const E2E_ORDER = [/strategies\.e2e\.test\.ts$/, /canary\.e2e\.test\.ts$/];
const E2E = /[\\/]test[\\/]e2e[\\/]/;

class HotSwapSequencer extends Sequencer {
  sort(tests) {
    const ordered = super.sort(tests);
    const rank = (t) => {
      if (!E2E.test(t.path)) return 0;
      const i = E2E_ORDER.findIndex((re) => re.test(t.path));
      return 1 + (i === -1 ? E2E_ORDER.length : i);
    };
    return [...ordered].sort((a, b) => rank(a) - rank(b));
  }
}

module.exports = HotSwapSequencer;
