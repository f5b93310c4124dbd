import { describe, expect, it } from 'vitest';
import { CoordinatorSchedule } from '../../src/local/scheduler.js';
import { createLogger } from '../../src/logging.js';

describe('CoordinatorSchedule', () => {
  it('runs one pass at a time and folds kicks during a pass into one more pass', async () => {
    let active = 0;
    let maxActive = 0;
    let passes = 0;
    let release: (() => void) | undefined;
    const schedule = new CoordinatorSchedule(
      async () => {
        active++;
        maxActive = Math.max(maxActive, active);
        passes++;
        await new Promise<void>((r) => (release = r));
        active--;
      },
      60_000,
      createLogger('test', { level: 'silent' }),
    );
    const first = schedule.kick();
    for (let i = 0; i < 10; i++) void schedule.kick();
    release!();
    await new Promise((r) => setImmediate(r));
    release!();
    await first;
    expect(passes).toBe(2);
    expect(maxActive).toBe(1);
    await schedule.stop();
    await schedule.kick();
    expect(passes).toBe(2);
  });

  it('keeps going after a failed pass', async () => {
    let passes = 0;
    const schedule = new CoordinatorSchedule(
      async () => {
        passes++;
        throw new Error('coordinator down');
      },
      60_000,
      createLogger('test', { level: 'silent' }),
    );
    await schedule.kick();
    await schedule.kick();
    expect(passes).toBe(2);
  });
});
