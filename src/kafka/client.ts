// The kafkajs client factory: the same code reaches the embedded broker, MSK and any
// Kafka cluster; only the bootstrap servers (and, later, SASL/TLS) differ.
import { Kafka, logLevel as KafkaLogLevel, Partitioners, type ICustomPartitioner, type logCreator, type Producer } from 'kafkajs';
import type { Logger } from '../logging.js';

export function bootstrapServers(env: NodeJS.ProcessEnv = process.env): string[] {
  const raw = env.KAFKA_BOOTSTRAP_SERVERS ?? '127.0.0.1:9092';
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** kafkajs logs into our structured logger; its INFO chatter is kept at debug. */
function logCreatorFor(logger: Logger): logCreator {
  return () =>
    ({ level, log }) => {
      const { message, ...fields } = log;
      const text = String(message);
      // Bounded retries are deliberate (a send that cannot succeed must fail before the
      // invocation's deadline); kafkajs warns about them on every connect.
      if (text.startsWith('Limiting retries for the idempotent producer')) logger.debug(text, fields);
      else if (level <= KafkaLogLevel.WARN) logger.warn(text, fields);
      else logger.debug(text, fields);
    };
}

export function createKafka(opts: { brokers: string[]; clientId: string; logger: Logger }): Kafka {
  return new Kafka({
    clientId: opts.clientId,
    brokers: opts.brokers,
    logLevel: KafkaLogLevel.WARN,
    logCreator: logCreatorFor(opts.logger.child({ component: 'kafkajs' })),
    retry: { retries: 5, initialRetryTime: 100 },
  });
}

/**
 * The producer every source task uses: idempotent, so kafkajs' own retries never
 * duplicate, and acks=all on every send (offsets are stored only after that ack).
 */
/**
 * kafkajs's DefaultPartitioner (Java's: murmur2 of the key bytes, as Kafka Connect
 * partitions), answered without hashing for a topic of one partition: the same
 * partition, and a sixth of the worker's CPU saved on a CDC stream (every key
 * hashed in JavaScript, measured by bench cdc).
 */
export const sourcePartitioner: ICustomPartitioner = () => {
  const byKey = Partitioners.DefaultPartitioner();
  return (args) => (args.message.partition == null && args.partitionMetadata.length === 1 ? args.partitionMetadata[0]!.partitionId : byKey(args));
};

export async function createSourceProducer(kafka: Kafka): Promise<Producer> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, createPartitioner: sourcePartitioner });
  await producer.connect();
  return producer;
}
