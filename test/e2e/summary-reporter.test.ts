// The summary line CI counts by ("N passed, N failed, N skipped") against real vitest runs: the
// fixtures under test/support/fixtures/summary-reporter fail in every way a run can fail, and each
// failure must show in the failed count. (It lives beside the browser suites because it runs a
// whole vitest of its own.)
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVitest, type TestModule } from 'vitest/node';
import SummaryReporter, { countResults, type TestCounts } from '../support/summary-reporter.js';

const FIXTURES = fileURLToPath(new URL('../support/fixtures/summary-reporter/', import.meta.url));

let modules: TestModule[] = [];
let printed = '';

beforeAll(async () => {
  const exitCode = process.exitCode;
  const write = process.stdout.write;
  const started = performance.now();
  const vitest = await createVitest('test', {
    root: FIXTURES,
    config: false,
    include: ['*.fixture.ts'],
    watch: false,
    reporters: [new SummaryReporter()],
  });
  try {
    // Only the reporter's own line is wanted; vitest prints nothing else with this reporter alone.
    process.stdout.write = ((chunk: string | Uint8Array) => ((printed += chunk.toString()), true)) as typeof process.stdout.write;
    modules = (await vitest.start()).testModules;
  } finally {
    process.stdout.write = write;
    await vitest.close();
    // The failing fixtures set the exit code of this process, which is not theirs to fail.
    process.exitCode = exitCode;
  }
  console.log(`[timing] vitest on the summary reporter fixtures: ${Math.round(performance.now() - started)} ms`);
});

afterAll(() => {
  modules = [];
});

function countsOf(fixture: string): TestCounts {
  const module = modules.find((candidate) => basename(candidate.moduleId) === `${fixture}.fixture.ts`);
  if (!module) throw new Error(`fixture ${fixture} did not run`);
  return countResults([module], []);
}

describe('the summary reporter', () => {
  it.each<[string, TestCounts]>([
    ['all-pass', { passed: 1, failed: 0, skipped: 1 }],
    ['test-fails', { passed: 1, failed: 1, skipped: 0 }],
    ['after-all-fails', { passed: 1, failed: 1, skipped: 0 }],
    ['suite-after-all-fails', { passed: 2, failed: 1, skipped: 0 }],
    ['before-all-fails', { passed: 0, failed: 1, skipped: 2 }],
    ['import-throws', { passed: 0, failed: 1, skipped: 0 }],
  ])('counts %s as %o', (fixture, counts) => {
    expect(countsOf(fixture)).toEqual(counts);
  });

  it('prints the whole run on a line of its own, and counts unhandled errors as failures', () => {
    expect(printed).toBe('\n5 passed, 5 failed, 3 skipped\n');
    expect(countResults(modules, [new Error('unhandled')]).failed).toBe(6);
  });
});
