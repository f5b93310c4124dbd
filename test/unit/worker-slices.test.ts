import type { Message } from 'kafkajs';
import { expect, it } from 'vitest';
import { slicesBySize } from '../../src/runtime/worker.js';

it('splits one poll into ordered slices under the size limit, across topics', () => {
  const msg = (n: number): Message => ({ key: null, value: Buffer.alloc(1000, n) });
  const byTopic = new Map<string, Message[]>([
    ['a', Array.from({ length: 25 }, (_, i) => msg(i))],
    ['b', Array.from({ length: 5 }, (_, i) => msg(100 + i))],
  ]);
  const slices = slicesBySize(byTopic, 10 * 1064);
  // Every slice is within the limit, and together they are the messages in order.
  for (const slice of slices) expect(slice.flatMap((e) => e.messages).length).toBeLessThanOrEqual(10);
  const flat = slices.flatMap((slice) => slice.flatMap((e) => e.messages.map((m) => `${e.topic}:${(m.value as Buffer)[0]}`)));
  expect(flat).toEqual([...Array.from({ length: 25 }, (_, i) => `a:${i}`), ...Array.from({ length: 5 }, (_, i) => `b:${100 + i}`)]);
  expect(slices).toHaveLength(3);
  // A single message larger than the limit still goes, alone.
  expect(slicesBySize(new Map([['a', [{ key: null, value: Buffer.alloc(5000) }]]]), 100)).toHaveLength(1);
});
