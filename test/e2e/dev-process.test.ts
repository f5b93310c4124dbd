// `slipway dev` as users run it: a foreground process that serves the REST API,
// runs a connector in its Lambda emulator's child processes, and on Ctrl-C (SIGINT)
// stops everything, leaving no process behind.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { alive, descendants } from '../helpers/processes.js';
import { tempDir, waitFor } from '../helpers/env.js';
import { SLIPWAY_BIN } from '../helpers/cli-broker.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

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
