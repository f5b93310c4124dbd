// One embedded broker for a describe block (or a whole file), started before its
// first test and closed after its last, with a Cleanup run after every test.
import { afterAll, afterEach, beforeAll } from 'vitest';
import type { BrokerOptions } from '../../src/local/broker/index.js';
import { Cleanup, testBroker, uniqueName, type TestBroker } from './broker.js';
import { createKafka } from './kafkajs.js';
import { RawKafkaClient } from './raw-kafka.js';

export interface BrokerSuite {
  /** The suite's broker; read it inside tests and hooks, once beforeAll has started it. */
  readonly tb: TestBroker;
  /** Run after every test of the suite. */
  readonly cleanup: Cleanup;
  /** A raw protocol client, closed at cleanup. */
  raw(): Promise<RawKafkaClient>;
  /** A topic with a name unique to the run, created with kafkajs. */
  newTopic(prefix: string, numPartitions: number): Promise<string>;
}

/** Registers the hooks in the current describe block (or file) and returns the suite's handles. */
export function useTestBroker(opts: Partial<BrokerOptions> = {}): BrokerSuite {
  const tb = testBroker(opts);
  const cleanup = new Cleanup();

  beforeAll(() => tb.start());
  afterEach(() => cleanup.run());
  afterAll(() => tb.close());

  return {
    tb,
    cleanup,
    async raw() {
      const c = await RawKafkaClient.connect(tb.host, tb.port);
      cleanup.add(() => c.close());
      return c;
    },
    async newTopic(prefix, numPartitions) {
      const topic = uniqueName(prefix);
      const admin = cleanup.client(createKafka(tb.bootstrap).admin());
      await admin.connect();
      await admin.createTopics({ topics: [{ topic, numPartitions }] });
      return topic;
    },
  };
}
