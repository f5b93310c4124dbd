// The runtime end to end, as a user drives it: `slipway dev`'s stack, a
// FileStreamSource created through the REST API, records read with kafkajs.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDev, type DevStack } from '../../src/local/dev.js';
import { createLogger } from '../../src/logging.js';
import { tempDir, waitFor } from '../helpers/env.js';

interface TaskStatus {
  id: number;
  state: string;
  worker_id: string;
  trace?: string;
}

describe('FileStreamSource through slipway dev', () => {
  let stack: DevStack;
  let tmp: ReturnType<typeof tempDir>;
  let kafka: Kafka;
  const seen: string[] = [];
  let consumer: ReturnType<Kafka['consumer']>;

  const api = async (method: string, p: string, body?: unknown) => {
    const res = await fetch(stack.apiUrl + p, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as unknown) : undefined };
  };
  const taskStatus = async (name: string): Promise<TaskStatus | undefined> => {
    const res = await api('GET', `/connectors/${name}/status`);
    return (res.body as { tasks?: TaskStatus[] }).tasks?.[0];
  };

  beforeAll(async () => {
    tmp = tempDir();
    stack = await startDev({
      dataDir: path.join(tmp.dir, 'state'),
      port: 0,
      brokerPort: 0,
      schedulePeriodMs: 500,
      workerTimeoutMs: 60_000,
      functionEnv: { SLIPWAY_LEASE_TTL_MS: '4000', SLIPWAY_LEASE_RENEW_MS: '1000', SLIPWAY_OFFSET_FLUSH_INTERVAL_MS: '300', SLIPWAY_LAUNCH_GRACE_MS: '2000' },
      logger: createLogger('test', { level: 'warn' }),
    });
    kafka = new Kafka({ brokers: [stack.bootstrap], logLevel: logLevel.NOTHING });
  });

  afterAll(async () => {
    await consumer?.disconnect();
    await stack?.close();
    tmp?.cleanup();
  });

  it('streams appended lines, and a kill -9 of the worker loses none of them', async () => {
    const file = path.join(tmp.dir, 'input.txt');
    fs.writeFileSync(file, 'one\ntwo\nthree\n');
    const created = await api('POST', '/connectors', {
      name: 'lines',
      config: { 'connector.class': 'FileStreamSource', file, topic: 'lines', 'value.converter': 'org.apache.kafka.connect.storage.StringConverter' },
    });
    expect(created.status).toBe(201);

    consumer = kafka.consumer({ groupId: 'e2e-reader', maxWaitTimeInMs: 200 });
    await consumer.connect();
    await waitFor(async () => (await kafka.admin().listTopics()).includes('lines'), { what: 'topic lines', timeoutMs: 60_000 });
    await consumer.subscribe({ topic: 'lines', fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void seen.push(message.value!.toString()) });
    await waitFor(() => seen.length >= 3, { what: 'the first three lines', timeoutMs: 60_000 });
    expect(seen.slice(0, 3)).toEqual(['one', 'two', 'three']);

    const running = await waitFor(async () => {
      const t = await taskStatus('lines');
      return t?.state === 'RUNNING' ? t : undefined;
    }, { what: 'task RUNNING' });
    expect(running.worker_id).toMatch(new RegExp(`^${os.hostname()}:\\d+$`));
    const pid = Number(running.worker_id.split(':')[1]);

    // kill -9 the process running the invocation, then keep appending.
    process.kill(pid, 'SIGKILL');
    const killedAt = Date.now();
    for (let i = 0; i < 20; i++) fs.appendFileSync(file, `line-${i}\n`);
    const next = await waitFor(async () => {
      const t = await taskStatus('lines');
      return t && t.state === 'RUNNING' && t.worker_id !== running.worker_id ? t : undefined;
    }, { what: 'a new invocation', timeoutMs: 60_000 });
    expect(next.worker_id).not.toBe(running.worker_id);
    await waitFor(() => seen.includes('line-19'), { what: 'every appended line', timeoutMs: 60_000 });
    // Lease TTL (4 s) + schedule (0.5 s) + start-up: a generous bound, not a benchmark.
    expect(Date.now() - killedAt).toBeLessThan(30_000);

    // The topics the connector used (KIP-558), and their reset.
    expect((await api('GET', '/connectors/lines/topics')).body).toEqual({ lines: { topics: ['lines'] } });
    expect((await api('PUT', '/connectors/lines/topics/reset')).status).toBe(202);
    expect((await api('GET', '/connectors/lines/topics')).body).toEqual({ lines: { topics: [] } });

    const expected = ['one', 'two', 'three', ...Array.from({ length: 20 }, (_, i) => `line-${i}`)];
    for (const line of expected) expect(seen, `line ${line}`).toContain(line);
    // Duplicates only from the last commit interval before the kill: the first three at most.
    expect(seen.length - new Set(seen).size).toBeLessThanOrEqual(3);
  });
});
