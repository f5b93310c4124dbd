// `slipway demo` (what `npm start` runs) as users run it: a foreground process
// that starts a private MariaDB with the tutorial's inventory database, the dev
// stack and examples/inventory-connector.yaml, shows the snapshot and then each
// change as one readable line, prints the command that changes a row, and on
// Ctrl-C (SIGINT) stops everything, mariadbd included. A second run on the same
// data dir continues: no reload of the inventory, no second snapshot.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { alive, descendants } from '../helpers/processes.js';
import { SLIPWAY_BIN, freePort } from '../helpers/cli-broker.js';
import { requireCommand, tempDir, waitFor } from '../helpers/env.js';
import { INVENTORY_ROWS } from '../helpers/mariadb.js';

const tmp = tempDir('slipway-demo-');
const dataDir = path.join(tmp.dir, 'demo');
afterAll(async () => {
  // After a failure the demo was killed (kill -9, as a crash): mariadbd's watchdog shuts the server down.
  await waitFor(() => mariadbProcesses().length === 0, { what: 'the test MariaDB gone', timeoutMs: 60_000 });
  tmp.cleanup();
}, 120_000);

/** Processes whose command line names this test's MariaDB data dir. */
function mariadbProcesses(): string[] {
  return execFileSync('ps', ['-e', '-o', 'pid=,args='], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => l.includes(`--datadir=${path.join(dataDir, 'mariadb', 'data')}`));
}

interface DemoProcess {
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  lines(): string[];
  output(): string;
  /** The first stdout line matching `re`, waited for; the output so far in the error when it does not come. */
  untilLine(re: RegExp, what: string, timeoutMs?: number): Promise<string>;
  kill(): Promise<void>;
}

function startDemo(mariadbPort: number): DemoProcess {
  const child = spawn(process.execPath, [SLIPWAY_BIN, 'demo', '--data-dir', dataDir, '--port', '0', '--broker-port', '0', '--mariadb-port', String(mariadbPort)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const lines = () => stdout.split('\n');
  const output = () => `--- stdout:\n${stdout}\n--- stderr:\n${stderr}`;
  return {
    child,
    exited,
    lines,
    output,
    async untilLine(re, what, timeoutMs = 180_000) {
      // As waitFor, but a failed connector or an exited demo ends the wait at once.
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = lines().find((l) => re.test(l));
        if (found) return found;
        const failed = lines().find((l) => / FAILED/.test(l));
        const problem = failed ? `the connector failed: ${failed}` : child.exitCode !== null ? `the demo exited with ${child.exitCode}` : Date.now() > deadline ? `timed out after ${timeoutMs} ms` : undefined;
        if (problem) throw new Error(`waiting for ${what}: ${problem}\n${output()}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
}

/** The `r` lines of one table. */
const snapshotLines = (demo: DemoProcess, table: string) => demo.lines().filter((l) => new RegExp(`^inventory\\.${table}\\s+r  `).test(l));

/** SIGINT (Ctrl-C), then: exit code 0, and nothing the demo started is left. */
async function interrupt(demo: DemoProcess): Promise<void> {
  const tree = descendants(demo.child.pid!);
  const mariadbPid = Number(fs.readFileSync(path.join(dataDir, 'mariadb', 'mysqld.pid'), 'utf8'));
  expect(tree).toContain(mariadbPid);
  demo.child.kill('SIGINT');
  const exit = await demo.exited;
  expect(exit, demo.output()).toEqual({ code: 0, signal: null });
  await waitFor(() => tree.every((pid) => !alive(pid)), { what: `every child process gone (left: ${tree.filter(alive).join(', ')})`, timeoutMs: 30_000 });
  expect(mariadbProcesses()).toEqual([]);
  expect(demo.lines()).toContain('Stopping: pausing the connector (it stores its offsets), then Slipway and MariaDB…');
}

it('shows the snapshot and an UPDATE made with the printed command; Ctrl-C leaves no process', { timeout: 300_000 }, async () => {
  requireCommand('mariadb', 'mariadb-client');
  const demo = startDemo(await freePort());
  try {
    await firstRun(demo);
  } finally {
    await demo.kill();
  }
});

async function firstRun(demo: DemoProcess): Promise<void> {
  // The snapshot: one line per row of every table of the tutorial.
  await demo.untilLine(/^inventory\.customers\s+r {2}id=1004 {2}first_name=Anne {2}last_name=Kretchmar {2}email=annek@noanswer\.org$/, 'the snapshot line of customer 1004');
  await waitFor(() => Object.entries(INVENTORY_ROWS).every(([table, rows]) => snapshotLines(demo, table).length === rows), { what: 'every snapshot line', timeoutMs: 60_000 }).catch((err: Error) => {
    throw new Error(`${err.message}\n${demo.output()}`);
  });
  expect(demo.lines()).toContain('inventory.orders            r  order_number=10001  order_date=2016-01-16  purchaser=1001  quantity=1  product_id=102');
  expect(demo.lines()).toContain('inventory.products          r  id=103  name="12-pack drill bits"  description="12-pack of drill bits with sizes ranging from #40 to #3"  weight=0.8');
  expect(demo.lines()).toContainEqual(expect.stringMatching(/^MariaDB .*\(inventory loaded from examples\/inventory\.sql;/));
  // The file's port and bootstrap servers were fitted to the free ports.
  expect(demo.lines()).toContainEqual(expect.stringMatching(/^connector {2}inventory-connector created from examples\/inventory-connector\.yaml \(fitted to this run: database\.port 3307 → \d+, /));

  // The hint is the exact command: run it as a user would.
  const hint = await demo.untilLine(/^To change a row, run in another terminal: /, 'the hint line');
  const command = hint.replace(/^To change a row, run in another terminal:\s+/, '');
  expect(command).toMatch(/^mariadb --socket=\S+ -u root inventory -e "UPDATE customers SET first_name='Anne Marie' WHERE id=1004"$/);
  execFileSync('sh', ['-c', command], { stdio: 'pipe' });
  await demo.untilLine(/^inventory\.customers\s+u {2}id=1004 {2}first_name: Anne → "Anne Marie"$/, 'the update line', 60_000);

  // No password and no JSON envelope in anything it printed.
  const password = /^password=(.*)$/m.exec(fs.readFileSync(path.join(dataDir, 'inventory-credentials.properties'), 'utf8'))![1]!;
  expect(password.length).toBeGreaterThan(10);
  expect(demo.output()).not.toContain(password);
  expect(demo.output()).not.toContain('"payload"');

  await interrupt(demo);
}

it('continues on the same data dir: no reload, no second snapshot, new changes shown', { timeout: 300_000 }, async () => {
  const demo = startDemo(await freePort());
  try {
    await secondRun(demo);
  } finally {
    await demo.kill();
  }
});

async function secondRun(demo: DemoProcess): Promise<void> {
  await demo.untilLine(/^MariaDB .*\(inventory from an earlier run;/, 'the MariaDB line');
  await demo.untilLine(/^connector {2}inventory-connector updated (\(RUNNING\) )?from /, 'the connector line');
  // The topics are shown from the beginning: the first run's events, once.
  await demo.untilLine(/^inventory\.customers\s+u {2}id=1004 {2}first_name: Anne → "Anne Marie"$/, 'the first run’s update, shown again');
  await demo.untilLine(/^To change a row, run in another terminal: /, 'the hint line');
  for (const [table, rows] of Object.entries(INVENTORY_ROWS)) expect(snapshotLines(demo, table)).toHaveLength(rows);

  const socket = /--socket=(\S+)/.exec(demo.lines().find((l) => l.startsWith('To change a row'))!)![1]!;
  execFileSync('mariadb', [`--socket=${socket}`, '-u', 'root', 'inventory', '-e', "UPDATE customers SET email='sally.t@example.com' WHERE id=1001"], { stdio: 'pipe' });
  await demo.untilLine(/^inventory\.customers\s+u {2}id=1001 {2}email: sally\.thomas@acme\.com → sally\.t@example\.com$/, 'the new update line', 60_000);
  expect(demo.lines().filter((l) => /^inventory\.\w+\s+r {2}/.test(l))).toHaveLength(Object.values(INVENTORY_ROWS).reduce((a, b) => a + b, 0));

  await interrupt(demo);
}
