// kafkajs for the conformance tests: quiet clients whose logs tests can read,
// message collection, and an assigner that speaks librdkafka's protocol name.
import { Kafka, PartitionAssigners, logLevel, type Consumer, type IHeaders, type LogEntry, type PartitionAssigner } from 'kafkajs';

/** kafkajs log lines, kept in memory instead of printed; tests assert on them. */
export type KafkaLog = { level: logLevel; namespace: string; message: string; error?: string; type?: string };

/** A quiet kafkajs client: warnings and errors go to `logs` when given, nowhere otherwise. */
export function createKafka(bootstrap: string, opts: { clientId?: string; logs?: KafkaLog[] } = {}): Kafka {
  const logs = opts.logs;
  return new Kafka({
    clientId: opts.clientId ?? 'conformance',
    brokers: [bootstrap],
    connectionTimeout: 3000,
    requestTimeout: 30_000,
    retry: { initialRetryTime: 100, retries: 8 },
    logLevel: logs ? logLevel.WARN : logLevel.NOTHING,
    logCreator:
      () =>
      ({ level, namespace, log }: LogEntry) => {
        const { message, error, type } = log as { message: string; error?: unknown; type?: unknown };
        logs?.push({ level, namespace, message, error: error === undefined ? undefined : String(error), type: typeof type === 'string' ? type : undefined });
      },
  });
}

export interface Received {
  topic: string;
  partition: number;
  offset: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: IHeaders;
  timestamp: number;
  /** Date.now() when eachMessage saw it. */
  receivedAt: number;
}

/**
 * Subscribe and run `consumer`, appending every message to the returned array
 * (tests waitFor its length). The consumer must already be connected.
 */
export async function collect(consumer: Consumer, topics: string[], opts: { fromBeginning?: boolean; into?: Received[] } = {}): Promise<Received[]> {
  const received = opts.into ?? [];
  await consumer.subscribe({ topics, fromBeginning: opts.fromBeginning ?? true });
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      received.push({
        topic,
        partition,
        offset: Number(message.offset),
        key: message.key,
        value: message.value,
        headers: message.headers ?? {},
        timestamp: Number(message.timestamp),
        receivedAt: Date.now(),
      });
    },
  });
  return received;
}

/** Values as strings, null kept: easy to compare with what was produced. */
export const text = (b: Buffer | null | undefined): string | null => (b == null ? null : b.toString('utf8'));

/**
 * kafkajs's round-robin assigner under librdkafka's protocol name "roundrobin".
 * Both encode the standard consumer protocol (subscription and assignment v0+),
 * so kafkajs and kcat -X partition.assignment.strategy=roundrobin can share a
 * group; with the default names they get INCONSISTENT_GROUP_PROTOCOL, as with Kafka.
 */
export const librdkafkaRoundRobin: PartitionAssigner = (config) => {
  const inner = PartitionAssigners.roundRobin(config);
  return {
    name: 'roundrobin',
    version: inner.version,
    assign: (group) => inner.assign(group),
    protocol: (subscription) => ({ name: 'roundrobin', metadata: inner.protocol(subscription).metadata }),
  };
};

/** The sum of a topic's partitions' end offsets: how many records it holds (0 when it does not exist). */
export async function topicEnd(kafka: Kafka, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    if (!(await admin.listTopics()).includes(topic)) return 0;
    return (await admin.fetchTopicOffsets(topic)).reduce((sum, p) => sum + Number(p.high), 0);
  } finally {
    await admin.disconnect();
  }
}
