// `slipway dev` as users run it: a foreground process that serves the REST API,
// runs a connector in its Lambda emulator's child processes, and on Ctrl-C (SIGINT)
// stops everything, leaving no process behind.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { tempDir, waitFor } from '../helpers/env.js';
import { SLIPWAY_BIN } from '../helpers/cli-broker.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

/** Every descendant of a process, from ps. */
function descendants(pid: number): number[] {
  const table = execFileSync('ps', ['-e', '-o', 'pid=,ppid='], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s+/).map(Number));
  const out: number[] = [];
  const walk = (p: number) => {
    for (const [child, parent] of table) {
      if (parent === p) {
        out.push(child);
        walk(child);
      }
    }
  };
  walk(pid);
  return out;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

it('serves a connector and stops every process on SIGINT', async () => {
  const child = spawn(process.execPath, [SLIPWAY_BIN, 'dev', '--port', '0', '--broker-port', '0', '--data-dir', path.join(tmp.dir, 'state'), '--schedule-ms', '500'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    const ready = await waitFor(
      () =>
        stderr
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .map((l) => JSON.parse(l) as { msg: string; api?: string })
          .find((l) => l.msg === 'slipway dev ready'),
      { what: 'slipway dev ready', timeoutMs: 60_000 },
    );
    const file = path.join(tmp.dir, 'in.txt');
    fs.writeFileSync(file, 'a\n');
    const res = await fetch(`${ready.api}/connectors`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'src', config: { 'connector.class': 'FileStreamSource', file, topic: 'lines' } }),
    });
    expect(res.status).toBe(201);
    const running = await waitFor(
      async () => {
        const status = (await (await fetch(`${ready.api}/connectors/src/status`)).json()) as { tasks: { state: string; worker_id: string }[] };
        return status.tasks[0]?.state === 'RUNNING' && status.tasks[0].worker_id.includes(':') ? status.tasks[0] : undefined;
      },
      { what: 'the task running', timeoutMs: 60_000 },
    );
    const workerPid = Number(running.worker_id.split(':')[1]);
    const tree = descendants(child.pid!);
    expect(tree).toContain(workerPid);

    child.kill('SIGINT');
    expect(await exited).toBe(0);
    await waitFor(() => tree.every((pid) => !alive(pid)), { what: 'every child process gone', timeoutMs: 30_000 });
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});
