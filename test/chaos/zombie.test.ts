// A zombie invocation (issue 3, test 3): the worker running a FileStreamSource is
// frozen with SIGSTOP past its lease, a successor takes the task over, then the
// zombie is resumed. From the moment it wakes it must write nothing: no offsets
// (the store's offset items keep the successor's epoch) and no records (every
// line appended after the freeze is in the topic exactly once).
//
// Two zombies: one frozen mid-stream, with records sent but not yet committed
// (only those may appear twice), and one frozen idle with everything committed,
// which wakes to new lines in its file: it must not send them.
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { waitFor } from '../helpers/env.js';
import { between, DevHarness, expectDelivered, isAlive, processState, type LineWriter, type LogLine, type TopicReader } from '../helpers/dev.js';

const LEASE_TTL_MS = 4000;

/** A zombie that noticed it lost its lease, and the store watch started as it woke. */
interface Woken {
  noticed: LogLine;
  stop(): Promise<{ offsetEpochs: number[]; leaseEpochs: number[] }>;
}

/** Blocks this process's event loop: nothing it serves answers meanwhile. */
function stallThisProcess(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    // busy: requests queue up in the sockets
  }
}

describe('a worker frozen past its lease (zombie)', () => {
  let dev: DevHarness;

  beforeAll(async () => {
    dev = await DevHarness.start({ schedulePeriodMs: 500, functionEnv: { SLIPWAY_LEASE_TTL_MS: String(LEASE_TTL_MS) } });
  });

  afterAll(async () => {
    await dev?.close();
  });

  /** A FileStreamSource `name` that has streamed 20 lines; its worker and their reader. */
  async function streaming(name: string) {
    const source = await dev.streamingFileSource(name, 20);
    return { ...source, zombie: await dev.liveLease(name) };
  }

  /** SIGSTOP, then wait for the successor to hold the lease and to start from the stored offset. */
  async function freezeUntilTakenOver(name: string, zombie: { pid: number; epoch: number; owner: string }) {
    process.kill(zombie.pid, 'SIGSTOP');
    await waitFor(() => processState(zombie.pid) === 'T', { what: `worker ${zombie.pid} stopped` });
    // It cannot renew any more: this expiry is final.
    const frozenLease = (await dev.task(name))!.lease!;
    expect(frozenLease.epoch).toBe(zombie.epoch);
    return {
      frozenLease,
      successor: async () => {
        const successor = await dev.liveLease(name, { after: zombie.epoch, timeoutMs: 30_000 });
        const acquired = await waitFor(() => dev.logs.find('worker', 'lease acquired', { epoch: successor.epoch })[0], { what: 'the successor acquiring the lease' });
        // Only once the zombie's lease had expired.
        expect(acquired.ts).toBeGreaterThanOrEqual(frozenLease.expiresAt);
        expect(successor.owner).not.toBe(zombie.owner);
        const resumedFrom = await waitFor(() => dev.logs.find('worker', 'file source starting', { workerId: successor.owner, connector: name }).find((l) => l.ts >= acquired.ts), {
          what: 'the successor starting',
        });
        return { ...successor, resumedFrom: resumedFrom.position as number };
      },
    };
  }

  /**
   * SIGCONT, with the store and broker stalled as it wakes (its renewal cannot tell
   * it that it was fenced; only its own clock can, before it sends anything). Watches
   * the store's offset and lease epochs until `stop`; returns when the zombie noticed.
   */
  async function wake(name: string, zombie: { pid: number; epoch: number; owner: string }): Promise<Woken> {
    const offsetEpochs = new Set<number>();
    const leaseEpochs = new Set<number>();
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        const [offsets, task] = await Promise.all([dev.store.readOffsets(name), dev.task(name)]);
        for (const o of offsets) offsetEpochs.add(o.epoch);
        if (task?.lease) leaseEpochs.add(task.lease.epoch);
        await new Promise((r) => setTimeout(r, 25));
      }
    })();
    process.kill(zombie.pid, 'SIGCONT');
    stallThisProcess(500);
    const noticed: LogLine = await waitFor(() => dev.logs.find('worker', 'lease lost', { workerId: zombie.owner, epoch: zombie.epoch })[0], {
      what: 'the zombie noticing it lost its lease',
    });
    // Its invocation ends; the execution environment stays warm for the next one.
    await waitFor(() => dev.stack.emulator.environments().some((e) => e.pid === zombie.pid && !e.busy), { what: "the zombie's invocation to end" });
    expect(isAlive(zombie.pid)).toBe(true);
    return {
      noticed,
      stop: async () => {
        watching = false;
        await watcher;
        return { offsetEpochs: [...offsetEpochs], leaseEpochs: [...leaseEpochs] };
      },
    };
  }

  /**
   * Once every line arrived and the final offset is stored: since the zombie woke the
   * store saw only the successor's epoch, and the zombie neither handed off nor failed.
   */
  async function settle(name: string, writer: LineWriter, topic: TopicReader, zombie: { owner: string }, successor: { epoch: number; owner: string }, woken: Woken) {
    await topic.waitForAll(writer.texts(), { what: 'every line appended' });
    await waitFor(async () => (await dev.fileOffset(name))?.position === writer.bytes, { what: 'the final offset stored' });
    const seen = await woken.stop();
    expect(seen.offsetEpochs).toEqual([successor.epoch]);
    expect(seen.leaseEpochs).toEqual([successor.epoch]);
    expect(await dev.task(name)).toMatchObject({ state: 'RUNNING', workerId: successor.owner, lease: { epoch: successor.epoch } });
    expect(await dev.fileOffset(name)).toEqual({ position: writer.bytes, epoch: successor.epoch });
    const zombieSaid = dev.logs.lines.filter((l) => l.workerId === zombie.owner && l.ts >= woken.noticed.ts).map((l) => l.msg);
    expect(zombieSaid).not.toContain('handed off');
    expect(zombieSaid).not.toContain('task failed');
  }

  it('frozen mid-stream: once resumed it writes neither offsets nor records, and no line is lost', async () => {
    onTestFailed(() => dev.logs.print());
    const { writer, topic, zombie } = await streaming('midstream');

    // Lines keep coming; freeze the worker while it is streaming them.
    writer.startAppending('live', 25);
    await waitFor(() => topic.values().filter((v) => v.startsWith('live-')).length >= 10, { what: 'live lines streaming' });
    const frozen = await freezeUntilTakenOver('midstream', zombie);
    const bytesAtFreeze = writer.bytes;
    const linesAtFreeze = writer.lines.length;
    const successor = await frozen.successor();
    expect(successor.resumedFrom).toBeLessThanOrEqual(bytesAtFreeze);

    // The successor streams what was appended during the freeze and commits it.
    const afterFreeze = () => writer.lines.slice(linesAtFreeze).map((l) => l.text);
    await topic.waitForAll(afterFreeze().slice(0, 20), { what: 'lines appended during the freeze' });
    await waitFor(async () => (await dev.fileOffset('midstream'))?.epoch === successor.epoch, { what: "an offset stored with the successor's epoch" });

    const woken = await wake('midstream', zombie);
    // Lines appended after the zombie woke arrive too; then stop and let everything drain.
    const linesAtNotice = writer.lines.length;
    await waitFor(() => writer.lines.length >= linesAtNotice + 20, { what: 'more lines appended after the zombie woke' });
    writer.stopAppending();
    await settle('midstream', writer, topic, zombie, successor, woken);

    // Counting: nothing lost, nothing foreign; every line appended after the freeze
    // exactly once; duplicates only of lines the zombie had sent before the freeze
    // without committing them, which the successor read again.
    expectDelivered(writer.lines, topic.values(), between(successor.resumedFrom, bytesAtFreeze));
    expect(afterFreeze().length).toBeGreaterThan(40);
  });

  it('frozen idle with everything committed: it wakes to new lines and sends none of them', async () => {
    onTestFailed(() => dev.logs.print());
    const { writer, topic, zombie } = await streaming('idle');
    await waitFor(async () => (await dev.fileOffset('idle'))?.position === writer.bytes, { what: 'everything committed' });

    const frozen = await freezeUntilTakenOver('idle', zombie);
    const during = writer.append('frozen', 30);
    const successor = await frozen.successor();
    expect(successor.resumedFrom).toBe(writer.lines[19].end);
    await topic.waitForAll(during, { what: 'lines appended during the freeze' });
    await waitFor(async () => (await dev.fileOffset('idle'))?.position === writer.bytes, { what: 'the successor committing them' });

    // The zombie's file position is still before the 'frozen' lines: a zombie that
    // sends what it reads on waking would duplicate them.
    const woken = await wake('idle', zombie);
    writer.append('after', 20);
    await settle('idle', writer, topic, zombie, successor, woken);
    // Nothing was in flight, so every line exactly once.
    expectDelivered(writer.lines, topic.values());
  });
});
