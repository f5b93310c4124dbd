// The baseline of `npm run bench -- overhead`, run as its own process (as the
// worker is, so neither shares a core with the broker):
//
//   node --import tsx bench/lib/bare-producer.ts BOOTSTRAP TOPIC FILE BATCH
//
// Produces every line of FILE to TOPIC the way the worker produces a source
// task's records: the lines held in memory, one idempotent kafkajs producer
// (acks=all, one request in flight), sendBatch of BATCH messages at a time, each
// awaited before the next. Prints {"records": n} on stdout when every send was acknowledged.
import fs from 'node:fs';
import { Kafka, logLevel, Partitioners } from 'kafkajs';

async function main(): Promise<void> {
  const [bootstrap, topic, file, batchArg] = process.argv.slice(2);
  const batch = Number(batchArg);
  if (!bootstrap || !topic || !file || !Number.isInteger(batch) || batch < 1) throw new Error('usage: bare-producer.ts BOOTSTRAP TOPIC FILE BATCH');
  const text = fs.readFileSync(file, 'utf8');
  const values = (text.endsWith('\n') ? text.slice(0, -1) : text).split('\n').map((line) => Buffer.from(line, 'utf8'));

  const kafka = new Kafka({ clientId: 'bench-bare-producer', brokers: [bootstrap], logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  try {
    for (let i = 0; i < values.length; i += batch) {
      const messages = values.slice(i, i + batch).map((value) => ({ key: null, value }));
      await producer.sendBatch({ acks: -1, topicMessages: [{ topic, messages }] });
    }
  } finally {
    await producer.disconnect();
  }
  process.stdout.write(`${JSON.stringify({ records: values.length })}\n`);
}

main().catch((err: unknown) => {
  console.error(`bare producer failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
