import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileStreamSourceTask } from '../../src/connectors/file/file-stream-source.js';
import type { SourceOffset, SourcePartition } from '../../src/connect/record.js';
import { createLogger } from '../../src/logging.js';
import { tempDir } from '../helpers/env.js';

let tmp: ReturnType<typeof tempDir> | undefined;
afterEach(() => tmp?.cleanup());

async function startTask(file: string, batchSize: number, stored: SourceOffset | null = null): Promise<FileStreamSourceTask> {
  const task = new FileStreamSourceTask('test');
  await task.start(
    { file, topic: 'out', 'batch.size': String(batchSize) },
    {
      connectorName: 'c',
      taskId: 0,
      logger: createLogger('test', { level: 'silent' }),
      signal: new AbortController().signal,
      offsetStorageReader: {
        offset: async () => stored,
        offsets: async (ps: readonly SourcePartition[]) => new Map(ps.map((p) => [p, stored])),
      },
    },
  );
  return task;
}

describe('FileStreamSourceTask', () => {
  it('hands out a backlog larger than one read in batch.size pieces, then nothing', async () => {
    tmp = tempDir();
    const file = path.join(tmp.dir, 'in.txt');
    const lines = Array.from({ length: 20_000 }, (_, i) => `line-${i}-${'x'.repeat(90)}`);
    fs.writeFileSync(file, lines.join('\n') + '\n');
    const task = await startTask(file, 5000);
    const got: string[] = [];
    for (let i = 0; i < 4; i++) {
      const batch = await task.poll();
      expect(batch?.length, `poll ${i}`).toBe(5000);
      got.push(...batch!.map((r) => r.value as string));
    }
    expect(await task.poll()).toBeNull();
    expect(got).toEqual(lines);
  });

  it('resumes from a stored position, keeps a partial last line until it is complete, and strips CR', async () => {
    tmp = tempDir();
    const file = path.join(tmp.dir, 'in.txt');
    fs.writeFileSync(file, 'a\r\nb\nc');
    const first = await startTask(file, 100);
    const batch = (await first.poll())!;
    expect(batch.map((r) => r.value)).toEqual(['a', 'b']);
    expect(batch.map((r) => r.sourceOffset)).toEqual([{ position: 3 }, { position: 5 }]);
    fs.appendFileSync(file, 'd\n');
    expect((await first.poll())!.map((r) => r.value)).toEqual(['cd']);

    const resumed = await startTask(file, 100, { position: 5 });
    expect((await resumed.poll())!.map((r) => r.value)).toEqual(['cd']);
  });
});
