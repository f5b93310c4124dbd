// A connector's life through the REST API, counted at the topic: pause and
// resume (no records while PAUSED, the task says so, the lines appended
// meanwhile arrive after resume) and a source file that does not exist yet
// (the task waits for it, survives a kill -9 meanwhile, and loses nothing once
// the file appears).
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { createLogger } from '../../src/logging.js';
import { defaultCoordinatorSettings, reconcile } from '../../src/runtime/coordinator.js';
import { createRuntimeRegistry } from '../../src/runtime/plugins.js';
import { between, DevHarness, expectDelivered, LineWriter } from '../helpers/dev.js';
import { waitFor } from '../helpers/env.js';

const SCHEDULE_MS = 500;

describe('connector lifecycle through slipway dev', () => {
  let dev: DevHarness;

  beforeAll(async () => {
    dev = await DevHarness.start({ schedulePeriodMs: SCHEDULE_MS });
  });

  afterAll(async () => {
    await dev?.close();
  });

  /** One reconcile pass in this process (another coordinator): what would it launch? */
  const reconcileNow = async () => {
    const launched: string[] = [];
    await reconcile({
      store: dev.store,
      registry: createRuntimeRegistry(),
      invokeWorker: async (e) => void launched.push(`${e.connector}/${e.task}`),
      clock: Date.now,
      logger: createLogger('coordinator', { level: 'silent' }),
      coordinatorId: 'test-coordinator',
      env: {},
      settings: defaultCoordinatorSettings,
    });
    return launched;
  };

  it('a sink connector gets its task config and a RUNNING status, but no worker invocation: its batches come from the event source mapping', { timeout: 30_000 }, async () => {
    const config = { 'connector.class': 'FileStreamSink', 'tasks.max': '1', topics: 'sink-in', file: path.join(dev.dir, 'sink-out.txt') };
    expect((await dev.api('PUT', '/connectors/file-sink/config', config)).status).toBe(201);
    await waitFor(async () => (await dev.status('file-sink'))?.connector.state === 'RUNNING', { what: 'the sink connector RUNNING' });
    expect(await reconcileNow()).toEqual([]);
    expect((await dev.task('file-sink'))!.config).toMatchObject({ topics: 'sink-in' });
    expect(dev.logs.find('coordinator', 'worker invoked', { connector: 'file-sink' })).toEqual([]);
    expect((await dev.api('DELETE', '/connectors/file-sink')).status).toBe(204);
  });

  it('pause stops the records and says PAUSED; resume delivers what was appended meanwhile', { timeout: 45_000 }, async () => {
    onTestFailed(() => dev.logs.print());
    const { writer, topic } = await dev.streamingFileSource('pausing');
    const running = await dev.liveLease('pausing');

    writer.startAppending('running', 30);
    await waitFor(() => topic.values().filter((v) => v.startsWith('running-')).length >= 5, { what: 'lines streaming' });
    expect((await dev.api('PUT', '/connectors/pausing/pause')).status).toBe(202);
    await waitFor(
      async () => {
        const s = await dev.status('pausing');
        return s?.connector.state === 'PAUSED' && s.tasks[0]?.state === 'PAUSED';
      },
      { what: 'connector and task PAUSED' },
    );
    writer.stopAppending();
    // The worker stopped itself: it committed what it had sent and released its lease
    // (it writes PAUSED first, then releases: the release may trail the status).
    await waitFor(async () => (await dev.task('pausing'))!.lease === undefined, { what: 'the lease released', timeoutMs: 10_000 });
    // Its log line comes through the function's stderr pipe, which may trail the store write it follows.
    await waitFor(() => dev.logs.find('worker', 'task stopped', { workerId: running.owner, connector: 'pausing' }).length > 0, { what: "the worker's 'task stopped' line", timeoutMs: 10_000 });
    expect(dev.logs.find('worker', 'task stopped', { workerId: running.owner, connector: 'pausing' })).toHaveLength(1);
    const committed = (await dev.fileOffset('pausing'))!.position;
    const sentBeforePause = writer.lines.filter((l) => l.end <= committed).map((l) => l.text);
    await topic.waitForAll(sentBeforePause, { what: 'the lines committed before the pause', timeoutMs: 10_000 });

    // While PAUSED: more lines appended, coordinator passes (ours and the schedule's)
    // launch nothing, and nothing past the committed offset arrives. Absence needs a
    // window: several schedule periods.
    writer.append('paused', 20);
    expect(await reconcileNow()).toEqual([]);
    const windowEnd = Date.now() + 6 * SCHEDULE_MS;
    await waitFor(() => Date.now() >= windowEnd, { what: 'an observation window', timeoutMs: 10_000 });
    expect(await reconcileNow()).toEqual([]);
    const unsent = writer.lines.filter((l) => l.end > committed).map((l) => l.text);
    expect(unsent.length).toBeGreaterThanOrEqual(20);
    expect(unsent.filter((t) => topic.has(t))).toEqual([]);
    expect((await dev.fileOffset('pausing'))!.position).toBe(committed);
    expect(await dev.status('pausing')).toMatchObject({ connector: { state: 'PAUSED' }, tasks: [{ id: 0, state: 'PAUSED' }] });
    expect((await dev.task('pausing'))!.lease).toBeUndefined();

    expect((await dev.api('PUT', '/connectors/pausing/resume')).status).toBe(202);
    const resumed = await dev.runningTask('pausing');
    expect(resumed.worker_id).not.toBe('');
    await topic.waitForAll(unsent, { what: 'the lines appended while paused' });
    const after = writer.append('after', 10);
    await topic.waitForAll(after);

    // A clean stop commits what it sent: every line exactly once.
    expectDelivered(writer.lines, topic.values());
  });

  it('paused while its worker is dead: PAUSED once the lease expires, and resume replays only what was uncommitted', { timeout: 45_000 }, async () => {
    onTestFailed(() => dev.logs.print());
    const { writer, topic } = await dev.streamingFileSource('orphan');
    const dead = await dev.liveLease('orphan');
    writer.startAppending('running', 30);
    await waitFor(() => topic.values().filter((v) => v.startsWith('running-')).length >= 5, { what: 'lines streaming' });
    process.kill(dead.pid, 'SIGKILL');
    const bytesAtKill = writer.bytes;
    writer.stopAppending();
    expect((await dev.api('PUT', '/connectors/orphan/pause')).status).toBe(202);

    // No invocation will see the pause; the task still says PAUSED once its lease is gone.
    await waitFor(async () => (await dev.taskStatus('orphan'))?.state === 'PAUSED', { what: 'task PAUSED', timeoutMs: 20_000 });
    expect(await reconcileNow()).toEqual([]);
    const committed = (await dev.fileOffset('orphan'))!.position;
    writer.append('paused', 10);

    expect((await dev.api('PUT', '/connectors/orphan/resume')).status).toBe(202);
    const resumed = await dev.liveLease('orphan', { after: dead.epoch });
    const startedAt = await waitFor(() => dev.logs.find('worker', 'file source starting', { workerId: resumed.owner, connector: 'orphan' }).at(-1)?.position as number | undefined, {
      what: 'the resumed task starting',
    });
    expect(startedAt).toBe(committed);
    await topic.waitForAll(writer.texts());
    expectDelivered(writer.lines, topic.values(), between(committed, bytesAtKill));
  });

  it('a connector whose file is missing waits for it, and loses nothing once it appears', { timeout: 45_000 }, async () => {
    onTestFailed(() => dev.logs.print());
    const writer = new LineWriter(path.join(dev.dir, 'later.txt'));
    await dev.createFileSource('late', writer.file, 'late');
    const first = await dev.liveLease('late');
    // It keeps polling for the file, RUNNING and without a trace, not FAILED.
    const notFound = () => dev.logs.find('worker', 'source file not found; waiting for it', { connector: 'late' });
    await waitFor(() => notFound().filter((l) => l.workerId === first.owner).length >= 3, { what: 'the task waiting for its file' });
    expect(await dev.taskStatus('late')).toMatchObject({ state: 'RUNNING', worker_id: first.owner });
    expect((await dev.taskStatus('late'))!.trace).toBeUndefined();
    expect(await dev.fileOffset('late')).toBeUndefined();

    // Its worker dies while it waits; the next one waits too.
    process.kill(first.pid, 'SIGKILL');
    const second = await dev.liveLease('late', { after: first.epoch, timeoutMs: 30_000 });
    await waitFor(() => notFound().some((l) => l.workerId === second.owner && l.ts > (dev.logs.find('worker', 'lease acquired', { epoch: second.epoch })[0]?.ts ?? Infinity)), {
      what: 'the next worker waiting for the file',
    });

    // The file appears, then grows.
    writer.append('appeared', 20);
    const topic = await dev.reader('late');
    await topic.waitForAll(writer.texts());
    writer.append('grown', 20);
    await topic.waitForAll(writer.texts());
    await waitFor(async () => (await dev.fileOffset('late'))?.position === writer.bytes, { what: 'the final offset stored' });

    expectDelivered(writer.lines, topic.values());
    expect((await dev.task('late'))!.lease?.epoch).toBe(second.epoch);
  });
});
