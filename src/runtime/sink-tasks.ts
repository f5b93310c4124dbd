// Started sink tasks kept between the invocations of one warm execution
// environment, as a Kafka Connect worker keeps a task between polls.
//
// Why: a task's start() is where a sink opens its connection and learns its
// target (the JDBC sink's connection, its table columns, its prepared
// statements). Done once per batch, that costs more than writing the batch.
//
// A task is reused only for the same connector with the very same resolved
// config (compared by a hash, so secrets are never kept as text), and only if
// it was used within IDLE_LIMIT_MS: a frozen Lambda environment's connections
// may have been dropped by the server or a NAT meanwhile. A task whose batch
// failed is stopped, not kept. Lambda never runs two invocations in one
// environment at once; if a caller does, the second gets its own task
// (take() removes the task while it is in use).
//
// It also keeps the connector's and task's items as last read, for at most
// ITEMS_MAX_AGE_MS: two store reads per batch were a tenth of the sink path's
// CPU (most of it in the store). So a pause, a delete, a restart or a new
// config reaches an environment within that second, as Kafka Connect's own
// rebalance after a config change is asynchronous too; the coordinator
// disables a paused or deleted connector's mapping besides.
import { createHash } from 'node:crypto';
import type { ErrantRecordReporter, SinkTask } from '../connect/plugin.js';
import type { Logger } from '../logging.js';
import type { ConnectorItem, TaskItem } from '../store/index.js';

/** Longer idle than this and the task is stopped and started afresh. */
export const IDLE_LIMIT_MS = 5 * 60_000;
/** How long a read of the connector's and task's items is used again. */
export const ITEMS_MAX_AGE_MS = 1_000;

export interface SinkItems {
  connector: ConnectorItem | undefined;
  task: TaskItem | undefined;
}

export interface WarmSinkTask {
  readonly task: SinkTask;
  readonly fingerprint: string;
  /** What the task's errantRecordReporter forwards to: the current invocation's reporter. */
  reporter: ErrantRecordReporter | null;
  lastUsedMs: number;
}

/** The fingerprint of a resolved config: equal configs, equal fingerprints. */
export function configFingerprint(config: Readonly<Record<string, string>>): string {
  const hash = createHash('sha256');
  for (const key of Object.keys(config).sort()) hash.update(`${key}\u0000${config[key]}\u0000`);
  return hash.digest('hex');
}

export class SinkTaskCache {
  readonly #tasks = new Map<string, WarmSinkTask>();
  readonly #items = new Map<string, { items: SinkItems; readAtMs: number }>();

  constructor(private readonly logger: Logger) {}

  /**
   * The warm task of the connector if its config is unchanged and it is not too
   * idle; removed from the cache until put back. A stale one is stopped.
   */
  async take(connector: string, fingerprint: string, nowMs: number): Promise<WarmSinkTask | undefined> {
    const warm = this.#tasks.get(connector);
    if (!warm) return undefined;
    this.#tasks.delete(connector);
    if (warm.fingerprint === fingerprint && nowMs - warm.lastUsedMs <= IDLE_LIMIT_MS) return warm;
    await this.#stop(connector, warm);
    return undefined;
  }

  /** Keeps the task for the next invocation (stopping any other kept meanwhile). */
  async put(connector: string, warm: WarmSinkTask, nowMs: number): Promise<void> {
    warm.lastUsedMs = nowMs;
    warm.reporter = null;
    const other = this.#tasks.get(connector);
    this.#tasks.set(connector, warm);
    if (other && other !== warm) await this.#stop(connector, other);
  }

  /** The items of the connector as read at most ITEMS_MAX_AGE_MS ago, else undefined. */
  recentItems(connector: string, nowMs: number): SinkItems | undefined {
    const kept = this.#items.get(connector);
    if (!kept || nowMs - kept.readAtMs > ITEMS_MAX_AGE_MS || nowMs < kept.readAtMs) return undefined;
    return kept.items;
  }

  keepItems(connector: string, items: SinkItems, readAtMs: number): void {
    this.#items.set(connector, { items, readAtMs });
  }

  /** After a failure or a state write: the next batch reads them afresh. */
  forgetItems(connector: string): void {
    this.#items.delete(connector);
  }

  /** Stops every kept task (the environment is shutting down). */
  async close(): Promise<void> {
    const all = [...this.#tasks];
    this.#tasks.clear();
    for (const [connector, warm] of all) await this.#stop(connector, warm);
  }

  async #stop(connector: string, warm: WarmSinkTask): Promise<void> {
    try {
      await warm.task.stop();
    } catch (err) {
      this.logger.warn('task stop failed', { connector, err });
    }
  }
}
