// Hand-off chains (issue 3, test 5): with a 10 s function timeout and a 2 s
// safety buffer, one FileStreamSource task runs across consecutive
// invocations, each stopping at its deadline, committing, invoking its
// successor and releasing. Lines are appended every 20 ms the whole time:
// every one arrives exactly once (a clean hand-off replays nothing), and the
// records' own timestamps show how long production paused at each hand-off.
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { DevHarness, expectDelivered, pidOf, type LogLine } from '../helpers/dev.js';
import { waitFor } from '../helpers/env.js';

const HANDOFFS = 5;
const MAX_GAP_MS = 1000;

describe('a task handed off from invocation to invocation', () => {
  let dev: DevHarness;

  beforeAll(async () => {
    // The schedule is AWS's minute: every invocation after the first must be started by
    // its predecessor, not rescued by a coordinator pass.
    dev = await DevHarness.start({ schedulePeriodMs: 60_000, workerTimeoutMs: 10_000, functionEnv: { SLIPWAY_SAFETY_BUFFER_MS: '2000' } });
  });

  afterAll(async () => {
    await dev?.close();
  });

  it(`runs across ${HANDOFFS + 1} invocations with no loss and hand-off gaps under ${MAX_GAP_MS} ms`, { timeout: 80_000 }, async () => {
    onTestFailed(() => dev.logs.print());
    const { writer, topic } = await dev.streamingFileSource('chain');

    writer.startAppending('line', 20);
    const handedOff = () => dev.logs.find('worker', 'handed off', { connector: 'chain' });
    await waitFor(() => handedOff().length >= HANDOFFS, { what: `${HANDOFFS} hand-offs`, timeoutMs: 65_000, intervalMs: 200 });
    // Let the last successor produce before stopping.
    const lastHandOff = handedOff()[HANDOFFS - 1];
    await waitFor(() => topic.records.some((r) => r.timestamp > lastHandOff.ts + MAX_GAP_MS), { what: 'records after the last hand-off', timeoutMs: 10_000 });
    writer.stopAppending();
    await topic.waitForAll(writer.texts(), { what: 'every appended line' });

    // Consecutive invocations: each acquisition a new, larger epoch; each one but the
    // last ended at its deadline with a hand-off; none lost its lease on the way.
    const acquired = dev.logs.find('worker', 'lease acquired', { connector: 'chain' });
    const handoffs = handedOff().slice(0, HANDOFFS);
    const epochs = acquired.map((l) => l.epoch!);
    expect(new Set(epochs).size).toBe(epochs.length);
    expect(epochs).toEqual([...epochs].sort((a, b) => a - b));
    expect(acquired.length).toBeGreaterThanOrEqual(HANDOFFS + 1);
    expect(handoffs.every((h) => h.reason === 'deadline')).toBe(true);
    expect(dev.logs.find('worker', 'lease lost', { connector: 'chain' })).toEqual([]);
    expect(new Set(acquired.map((l) => pidOf(l.workerId!))).size).toBeGreaterThanOrEqual(2);
    // A chain of hand-offs: the coordinator started the first invocation only.
    expect(dev.logs.find('coordinator', 'worker invoked', { connector: 'chain' })).toHaveLength(1);
    for (const h of handoffs) {
      const own = acquired.find((a) => a.epoch === h.epoch)!;
      // Each invocation ran until its own deadline: timeout 10 s − buffer 2 s.
      expect(h.ts - own.ts, `invocation of epoch ${h.epoch}`).toBeGreaterThan(6_000);
      // Its successor holds the next epoch.
      expect(acquired.some((a) => a.epoch! > h.epoch! && a.ts >= h.ts - 100)).toBe(true);
    }

    // Counting: every line exactly once; the stored offset covers the whole file.
    expectDelivered(writer.lines, topic.values());
    await waitFor(async () => (await dev.fileOffset('chain'))?.position === writer.bytes, { what: 'the final offset stored' });

    // The gap at each hand-off: around the moment it handed off, the longest time a
    // record waited to be produced after its line was in the file and the record
    // before it was produced (producer timestamps, topic order). A stall of the
    // appender is not a gap: a line not yet written is not waiting.
    const records = [...topic.records].sort((a, b) => a.offset - b.offset);
    const appendedAt = new Map(writer.lines.map((l) => [l.text, l.appendedAt]));
    const gapAround = (h: LogLine) => {
      let worst = 0;
      for (let i = 1; i < records.length; i++) {
        const [prev, next] = [records[i - 1].timestamp, records[i].timestamp];
        const waited = next - Math.max(prev, appendedAt.get(records[i].value) ?? 0);
        if (next >= h.ts - 2_000 && prev <= h.ts + 3_000) worst = Math.max(worst, waited);
      }
      return worst;
    };
    const gaps = handoffs.map(gapAround);
    console.log(`hand-off gaps (ms): ${gaps.join(', ')}`);
    for (const [i, gap] of gaps.entries()) expect(gap, `gap at hand-off ${i + 1} (epoch ${handoffs[i].epoch})`).toBeLessThan(MAX_GAP_MS);
  });
});
