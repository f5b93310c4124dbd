#!/usr/bin/env node
// `npm start`: Slipway's main job on the embedded defaults, the Debezium
// tutorial end to end (`slipway demo`): a private MariaDB with the inventory
// database on 127.0.0.1:3307, `slipway dev` (REST API on 8083, Kafka on 9092)
// and examples/inventory-connector.yaml applied to it, its change events shown
// until Ctrl-C. Everything it keeps is under .slipway/demo. Extra arguments go
// to `slipway demo`:
//   npm start -- --mariadb-port 3308 --log-level info
import { spawn } from 'node:child_process';
import path from 'node:path';
import { ROOT, setup } from './setup.mjs';

const code = setup();
if (code !== 0) process.exit(code);

// The demo runs in a process group of its own (detached), so a terminal's
// Ctrl-C reaches this script and not the demo's function processes, which
// would die in the middle of an invocation. This script passes the signal on:
// the demo pauses its connector (its task stores its offsets and releases its
// lease), then stops everything. If this script dies without passing anything
// on, the demo sees its IPC channel close and stops as on SIGTERM.
const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'slipway.js'), 'demo', ...process.argv.slice(2)], {
  stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
  cwd: ROOT,
  detached: true,
});
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal === 'SIGHUP' ? 'SIGTERM' : signal));
child.on('exit', (exitCode, signal) => process.exit(exitCode ?? (signal ? 128 + (signal === 'SIGINT' ? 2 : 15) : 1)));
