// The embedded Kafka-compatible broker: one node, every partition's leader, every
// group's coordinator. `startBroker` is what `slipway broker`, `slipway dev` and the
// tests call.
import fs from 'node:fs';
import path from 'node:path';
import { createLogger, type LogLevel, type Logger } from '../../logging.js';
import { partitionKey, type BrokerConfig, type BrokerContext } from './context.js';
import { GroupCoordinator } from './group/group-coordinator.js';
import { LogManager } from './log/log-manager.js';
import { KafkaServer } from './server.js';

export interface BrokerOptions {
  dataDir: string;
  /** 0 binds a free port; `broker.port` tells which. */
  port?: number;
  host?: string;
  /** Partitions of auto-created topics and of CreateTopics with −1 (num.partitions). */
  partitions?: number;
  logLevel?: LogLevel;
  logger?: Logger;
  nodeId?: number;
  /** group.initial.rebalance.delay.ms; Kafka's default is 3000. */
  initialRebalanceDelayMs?: number;
  segmentBytes?: number;
  retentionMs?: number;
  retentionBytes?: number;
  /** socket.request.max.bytes: larger frames close the connection. */
  maxRequestBytes?: number;
  /** message.max.bytes: larger batches get MESSAGE_TOO_LARGE. */
  messageMaxBytes?: number;
  autoCreateTopics?: boolean;
  /** How often segments are fsynced (see the durability note in log/partition-log.ts). */
  flushIntervalMs?: number;
  retentionCheckIntervalMs?: number;
  clock?: () => number;
}

export interface Broker {
  readonly port: number;
  readonly host: string;
  /** host:port, for bootstrap.servers. */
  readonly bootstrap: string;
  readonly logs: LogManager;
  readonly groups: GroupCoordinator;
  /** Deletes segments past retention now (also runs on a timer). */
  enforceRetention(): void;
  close(): Promise<void>;
}

export async function startBroker(opts: BrokerOptions): Promise<Broker> {
  const logger = opts.logger ?? createLogger('broker', { level: opts.logLevel ?? 'info' });
  const clock = opts.clock ?? Date.now;
  const host = opts.host ?? '127.0.0.1';
  fs.mkdirSync(opts.dataDir, { recursive: true });

  const logs = LogManager.open(
    opts.dataDir,
    {
      partitions: opts.partitions ?? 1,
      segmentBytes: opts.segmentBytes ?? 64 * 1024 * 1024,
      retentionMs: opts.retentionMs ?? 7 * 24 * 3600 * 1000,
      retentionBytes: opts.retentionBytes ?? -1,
      maxMessageBytes: opts.messageMaxBytes ?? 1_048_588,
    },
    logger,
  );
  const groups = GroupCoordinator.open({
    dataDir: opts.dataDir,
    clock,
    initialRebalanceDelayMs: opts.initialRebalanceDelayMs ?? 3000,
    logger: logger.child({ component: 'groups' }),
  });
  const producerIds = new ProducerIdAllocator(path.join(opts.dataDir, 'producer-ids.json'));
  const waiters = new AppendWaiters();

  const config: BrokerConfig = {
    nodeId: opts.nodeId ?? 0,
    host,
    port: opts.port ?? 9092,
    clusterId: clusterIdOf(opts.dataDir),
    messageMaxBytes: logs.defaults.maxMessageBytes ?? 1_048_588,
    autoCreateTopics: opts.autoCreateTopics ?? true,
  };
  const ctx: BrokerContext = {
    config,
    logs,
    groups,
    logger,
    clock,
    nextProducerId: () => producerIds.next(),
    notifyAppend: (topic, partition) => waiters.notify(partitionKey(topic, partition)),
    waitForAppend: (keys, timeoutMs) => waiters.wait(keys, timeoutMs),
  };

  const server = new KafkaServer(ctx, { host, port: config.port, maxRequestBytes: opts.maxRequestBytes ?? 100 * 1024 * 1024 }, logger);
  let port: number;
  try {
    port = await server.listen();
  } catch (err) {
    groups.close();
    logs.close();
    throw err;
  }
  // Clients must be told the port they can reach, also when port 0 picked one.
  config.port = port;

  const flushTimer = setInterval(() => logs.syncAll(), opts.flushIntervalMs ?? 1000);
  const enforceRetention = () => logs.enforceRetention(clock());
  const retentionTimer = setInterval(enforceRetention, opts.retentionCheckIntervalMs ?? 30_000);
  flushTimer.unref();
  retentionTimer.unref();
  logger.info('broker listening', { host, port, dataDir: opts.dataDir, topics: logs.topicNames().length });

  let closing: Promise<void> | undefined;
  return {
    port,
    host,
    bootstrap: `${host}:${port}`,
    logs,
    groups,
    enforceRetention,
    close() {
      closing ??= (async () => {
        clearInterval(flushTimer);
        clearInterval(retentionTimer);
        waiters.closeAll();
        groups.close();
        await server.close();
        logs.close();
        logger.info('broker stopped', { port });
      })();
      return closing;
    },
  };
}

/** Parked fetches, woken when one of their partitions gets an append. */
class AppendWaiters {
  private readonly byKey = new Map<string, Set<() => void>>();

  wait(keys: Iterable<string>, timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const list = [...keys];
      const done = () => {
        clearTimeout(timer);
        for (const k of list) {
          const set = this.byKey.get(k);
          set?.delete(done);
          if (set?.size === 0) this.byKey.delete(k);
        }
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      for (const k of list) {
        let set = this.byKey.get(k);
        if (!set) this.byKey.set(k, (set = new Set()));
        set.add(done);
      }
    });
  }

  notify(key: string): void {
    const set = this.byKey.get(key);
    if (set) for (const done of [...set]) done();
  }

  closeAll(): void {
    for (const set of [...this.byKey.values()]) for (const done of [...set]) done();
  }
}

/** Producer ids are never reused, across restarts too: the next id is persisted before one is handed out. */
class ProducerIdAllocator {
  private nextId: number;

  constructor(private readonly file: string) {
    this.nextId = fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as { next: number }).next : 1000;
  }

  next(): number {
    const id = this.nextId++;
    const tmp = `${this.file}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify({ next: this.nextId }));
    fs.renameSync(tmp, this.file);
    return id;
  }
}

/** A stable cluster id per data dir, as Kafka keeps one in meta.properties. */
function clusterIdOf(dataDir: string): string {
  const file = path.join(dataDir, 'cluster-id');
  if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8').trim();
  const id = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString('base64url');
  fs.writeFileSync(file, id);
  return id;
}
