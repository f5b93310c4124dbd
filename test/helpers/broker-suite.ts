// One embedded broker for a describe block (or a whole file), started before its
// first test and closed after its last, with a Cleanup run after every test.
import { afterAll, afterEach, beforeAll } from 'vitest';
import type { BrokerOptions } from '../../src/local/broker/index.js';
import { Cleanup, startTestBroker, uniqueName, type TestBroker } from './broker.js';
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
  let started: TestBroker | undefined;
  const current = (): TestBroker => {
    if (!started) throw new Error('the test broker is not started: use it inside tests and hooks');
    return started;
  };
  const tb: TestBroker = {
    get broker() {
      return current().broker;
    },
    get bootstrap() {
      return current().bootstrap;
    },
    get host() {
      return current().host;
    },
    get port() {
      return current().port;
    },
    get dataDir() {
      return current().dataDir;
    },
    restart: () => current().restart(),
    close: () => current().close(),
  };
  const cleanup = new Cleanup();

  beforeAll(async () => {
    started = await startTestBroker(opts);
  });
  afterEach(() => cleanup.run());
  afterAll(() => started?.close());

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
