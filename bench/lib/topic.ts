// Reading what a connector produced, with what a benchmark needs from each record:
// its CreateTime (set by the producing invocation's kafkajs when it sent the
// batch) and the idempotent producer id of its batch. Every worker invocation
// creates its own producer, so a change of producer id marks the next invocation.
import { Kafka, logLevel, type Consumer, type KafkaMessage } from 'kafkajs';
import { waitFor } from '../../test/helpers/env.js';

export interface TopicRecord {
  offset: number;
  value: string;
  /** CreateTime, ms since the epoch: when the producing process sent it (same machine, same clock). */
  timestamp: number;
  /** The idempotent producer's id (-1 if the batch carries none). */
  producerId: number;
  /** Date.now() when this reader saw it. */
  receivedAt: number;
}

export function benchKafka(bootstrap: string, clientId = 'slipway-bench'): Kafka {
  return new Kafka({ clientId, brokers: [bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 8, initialRetryTime: 100 } });
}

/** kafkajs decodes each record with its batch's header (not in its types). */
function producerIdOf(message: KafkaMessage): number {
  const id = (message as KafkaMessage & { batchContext?: { producerId?: unknown } }).batchContext?.producerId;
  return typeof id === 'number' ? id : Number(id ?? -1);
}

/** Waits until the topic exists: the worker creates it on its first send. */
export async function waitForTopic(kafka: Kafka, topic: string, timeoutMs = 60_000): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await waitFor(async () => (await admin.listTopics()).includes(topic), { what: `topic ${topic}`, timeoutMs, intervalMs: 100 });
  } finally {
    await admin.disconnect();
  }
}

/** Sum of the topic's high watermarks: how many records it holds. */
export async function recordCount(kafka: Kafka, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return (await admin.fetchTopicOffsets(topic)).reduce((sum, p) => sum + Number(p.high), 0);
  } finally {
    await admin.disconnect();
  }
}

/** A consumer reading one single-partition topic from the beginning into `records`, in offset order. */
export class TopicReader {
  readonly records: TopicRecord[] = [];

  private constructor(private readonly consumer: Consumer) {}

  static async start(kafka: Kafka, topic: string): Promise<TopicReader> {
    await waitForTopic(kafka, topic);
    const consumer = kafka.consumer({ groupId: `bench-${topic}-${process.pid}-${Date.now()}`, maxWaitTimeInMs: 50, maxBytesPerPartition: 10 * 1024 * 1024, maxBytes: 50 * 1024 * 1024 });
    const reader = new TopicReader(consumer);
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachBatchAutoResolve: true,
      eachBatch: async ({ batch }) => {
        const receivedAt = Date.now();
        for (const m of batch.messages) {
          reader.records.push({ offset: Number(m.offset), value: m.value?.toString('utf8') ?? '', timestamp: Number(m.timestamp), producerId: producerIdOf(m), receivedAt });
        }
      },
    });
    return reader;
  }

  /** The first record (from index `from`) matching `test`, once it has arrived. */
  async next(test: (r: TopicRecord) => boolean, opts: { from?: number; timeoutMs: number; what: string }): Promise<TopicRecord> {
    let i = opts.from ?? 0;
    return waitFor(
      () => {
        for (; i < this.records.length; i++) if (test(this.records[i]!)) return this.records[i];
        return undefined;
      },
      { what: opts.what, timeoutMs: opts.timeoutMs, intervalMs: 10 },
    );
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect();
  }
}

/** Runs of consecutive records from one producer, i.e. one worker invocation each. */
export function invocationRuns(records: readonly TopicRecord[]): { producerId: number; first: TopicRecord; last: TopicRecord; count: number }[] {
  const runs: { producerId: number; first: TopicRecord; last: TopicRecord; count: number }[] = [];
  for (const r of records) {
    const run = runs.at(-1);
    if (run && run.producerId === r.producerId) {
      run.last = r;
      run.count++;
    } else {
      runs.push({ producerId: r.producerId, first: r, last: r, count: 1 });
    }
  }
  return runs;
}

/** Which of the appended lines (`line(0)` … `line(count − 1)`) are missing, and how many extra copies arrived. */
export function deliveryCheck(records: readonly TopicRecord[], count: number, line: (seq: number) => string): { missing: string[]; duplicates: number } {
  const seen = new Map<string, number>();
  for (const r of records) seen.set(r.value, (seen.get(r.value) ?? 0) + 1);
  const missing: string[] = [];
  let duplicates = 0;
  for (let seq = 0; seq < count; seq++) {
    const n = seen.get(line(seq)) ?? 0;
    if (n === 0) missing.push(line(seq));
    else duplicates += n - 1;
  }
  return { missing, duplicates };
}
