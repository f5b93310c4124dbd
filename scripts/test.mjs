#!/usr/bin/env node
// `npm test`: the whole check, as CI runs it (.ci/run). Set-up (npm packages,
// system packages), then typecheck, lint and the vitest suite, stopping at the
// first failure with its exit code. Extra arguments go to vitest:
//   npm test -- test/integration/broker-fuzz.test.ts
import { bin, run, setup } from './setup.mjs';

const steps = [
  { name: 'typecheck', cmd: bin('tsc'), args: ['--noEmit', '-p', '.'] },
  { name: 'lint', cmd: bin('eslint'), args: ['.'] },
  { name: 'tests', cmd: bin('vitest'), args: ['run', ...process.argv.slice(2)] },
];

let code = setup();
for (const step of steps) {
  if (code !== 0) break;
  process.stderr.write(`\n==> ${step.name}: ${[step.cmd.replace(/.*node_modules\/\.bin\//, ''), ...step.args].join(' ')}\n`);
  code = run(step.cmd, step.args);
  if (code !== 0) process.stderr.write(`\n==> ${step.name} failed (exit code ${code})\n`);
}
process.exit(code);
