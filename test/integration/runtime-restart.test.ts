// `slipway dev` restarted on the same data dir (issue 3, test 6): the stack is
// stopped as Ctrl-C stops it, while lines keep being appended, and started again
// on new ports. The connector resumes from its stored offset: lines appended
// while the stack was down and after it came back arrive, none is lost, and only
// lines the killed worker had read but not yet committed may arrive twice. A
// paused connector stays paused.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { between, DevHarness, expectDelivered, isAlive, LineWriter } from '../helpers/dev.js';
import { waitFor } from '../helpers/env.js';

describe('slipway dev restarted on the same data dir', () => {
  let dev: DevHarness;

  beforeAll(async () => {
    dev = await DevHarness.start({ schedulePeriodMs: 500 });
  });

  afterAll(async () => {
    await dev?.close();
  });

  it('resumes every connector where it was', { timeout: 80_000 }, async () => {
    onTestFailed(() => dev.logs.print());
    const writer = new LineWriter(path.join(dev.dir, 'input.txt'));
    writer.append('before', 20);
    await dev.createFileSource('resume', writer.file, 'resume');
    const held = new LineWriter(path.join(dev.dir, 'held.txt'));
    held.append('held', 5);
    await dev.createFileSource('held', held.file, 'held');
    let topic = await dev.reader('resume');
    let heldTopic = await dev.reader('held');
    await topic.waitForAll(writer.texts());
    await heldTopic.waitForAll(held.texts());
    expect((await dev.api('PUT', '/connectors/held/pause')).status).toBe(202);
    await waitFor(async () => (await dev.taskStatus('held'))?.state === 'PAUSED', { what: 'held PAUSED' });

    writer.startAppending('live', 25);
    await waitFor(() => topic.values().filter((v) => v.startsWith('live-')).length >= 20, { what: 'live lines streaming' });
    const before = await dev.liveLease('resume');
    const committedBefore = (await dev.fileOffset('resume'))!.position;
    const oldBootstrap = dev.stack.bootstrap;

    // Stop everything, as Ctrl-C does; the worker goes with it, uncommitted.
    await dev.stopStack();
    const bytesAtStop = writer.bytes;
    expect(isAlive(before.pid), `worker ${before.pid} still running after the stack stopped`).toBe(false);
    const linesWhileDown = writer.lines.length;
    await waitFor(() => writer.lines.length >= linesWhileDown + 20, { what: 'lines appended while the stack is down' });
    held.append('held-while-down', 5);

    await dev.startStack();
    expect(dev.stack.bootstrap).not.toBe(oldBootstrap);
    // The old lease is still live in the restored store: the task resumes once it expires.
    const after = await dev.liveLease('resume', { after: before.epoch, timeoutMs: 30_000 });
    const resumedFrom = await waitFor(() => dev.logs.find('worker', 'file source starting', { workerId: after.owner, connector: 'resume' })[0]?.position as number | undefined, {
      what: 'the resumed task starting',
    });
    expect(resumedFrom).toBeGreaterThanOrEqual(committedBefore);
    expect(resumedFrom).toBeLessThanOrEqual(bytesAtStop);

    topic = await dev.reader('resume');
    const linesAfterStart = writer.lines.length;
    await waitFor(() => writer.lines.length >= linesAfterStart + 20, { what: 'lines appended after the restart' });
    writer.stopAppending();
    await topic.waitForAll(writer.texts(), { what: 'every line, before, during and after the restart' });
    await waitFor(async () => (await dev.fileOffset('resume'))?.position === writer.bytes, { what: 'the final offset stored' });

    // Counting (the topic read from the beginning, so the broker kept what it had too).
    expectDelivered(writer.lines, topic.values(), between(resumedFrom, bytesAtStop));

    // The paused connector came back paused: status, no lease, nothing new in its topic.
    const connectors = (await dev.api('GET', '/connectors')).body as string[];
    expect([...connectors].sort()).toEqual(['held', 'resume']);
    expect(await dev.status('held')).toMatchObject({ connector: { state: 'PAUSED' }, tasks: [{ id: 0, state: 'PAUSED' }] });
    heldTopic = await dev.reader('held');
    await heldTopic.waitForAll(held.texts().slice(0, 5));
    expect((await dev.task('held'))!.lease).toBeUndefined();
    expect(heldTopic.values()).toEqual(held.texts().slice(0, 5));
  });
});
