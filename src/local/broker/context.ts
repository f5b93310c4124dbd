// What a request handler sees of the broker: its identity, its logs and groups,
// and the long-poll wake-up for fetches.
import type { Logger } from '../../logging.js';
import type { GroupCoordinator } from './group/group-coordinator.js';
import type { LogManager } from './log/log-manager.js';
import type { Reader, Writer } from './protocol/codec.js';

export interface BrokerConfig {
  nodeId: number;
  host: string;
  port: number;
  clusterId: string;
  /** Largest batch accepted when a topic sets no max.message.bytes (Kafka's message.max.bytes). */
  messageMaxBytes: number;
  /** Whether Metadata may create a topic on a producer's request (auto.create.topics.enable). */
  autoCreateTopics: boolean;
}

export interface BrokerContext {
  readonly config: BrokerConfig;
  readonly logs: LogManager;
  readonly groups: GroupCoordinator;
  readonly logger: Logger;
  readonly clock: () => number;
  /** A new producer id, never handed out before (persisted before it is returned). */
  nextProducerId(): number;
  /** Called after records were appended to a partition: wakes parked fetches. */
  notifyAppend(topic: string, partition: number): void;
  /** Resolves when one of the partitions gets an append, or after timeoutMs, or when the broker closes. */
  waitForAppend(keys: Iterable<string>, timeoutMs: number): Promise<void>;
}

export interface RequestContext {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
  clientHost: string;
}

/** No response is sent (Produce with acks=0). */
export const NO_RESPONSE = Symbol('no-response');

export interface ApiHandler {
  key: number;
  minVersion: number;
  maxVersion: number;
  handle(ctx: BrokerContext, req: RequestContext, r: Reader, w: Writer): void | typeof NO_RESPONSE | Promise<void | typeof NO_RESPONSE>;
}

export function partitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}
