#!/usr/bin/env node
// `npm start`: Slipway's main job on the embedded defaults. Until the runtime
// exists that is the embedded broker on 127.0.0.1:9092 with its data under
// .slipway/broker; extra arguments go to `slipway broker`:
//   npm start -- --port 9093 --log-level debug
import { spawn } from 'node:child_process';
import path from 'node:path';
import { ROOT, setup } from './setup.mjs';

const code = setup();
if (code !== 0) process.exit(code);

const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'slipway.js'), 'broker', ...process.argv.slice(2)], { stdio: 'inherit', cwd: ROOT });
// Ctrl-C reaches the broker directly (same process group), so SIGINT is only
// swallowed here; a SIGTERM sent to this script alone is passed on, so the
// broker still closes cleanly.
process.on('SIGINT', () => {});
process.on('SIGTERM', () => child.kill('SIGTERM'));
child.on('exit', (exitCode, signal) => process.exit(exitCode ?? (signal ? 128 + (signal === 'SIGINT' ? 2 : 15) : 1)));
