// A sink connector's event source mappings, kept by the coordinator through the
// Lambda API, the same calls in AWS and against `slipway dev`'s emulator:
//
//   alias         one alias of the sink function per connector, sinkAliasOf(name),
//                 pointing at $LATEST; every mapping of the connector invokes it,
//                 so the sink invocation knows its connector (src/runtime/sink.ts)
//   mappings      one per topic: a Kafka event source mapping takes exactly one
//                 topic. topics.regex is matched against the cluster's topics on
//                 every pass, so a topic created later gets its mapping then.
//   group         Kafka Connect's `connect-<name>` when the connector reads one
//                 topic (offsets a Kafka Connect cluster committed carry over);
//                 `connect-<name>-<topic>` per mapping otherwise, because Lambda
//                 wants a consumer group id unique among all Kafka event sources
//                 and never changes it. An existing mapping keeps its group
//                 when the topic count changes: recreating it would re-deliver.
//   batch         BatchSize from Kafka Connect's consumer.override.max.poll.records,
//                 default 500 as Kafka's max.poll.records (Lambda's own default
//                 is 100), at most Lambda's 10,000
//   state         Enabled while the connector is RUNNING and its task is not
//                 FAILED; Disabled when PAUSED, STOPPED or FAILED (a broken
//                 target is not hammered; committed offsets stay); deleted with
//                 the alias when the connector is gone.
import { createHash } from 'node:crypto';
import {
  CreateAliasCommand,
  CreateEventSourceMappingCommand,
  DeleteAliasCommand,
  DeleteEventSourceMappingCommand,
  GetAliasCommand,
  ListAliasesCommand,
  ListEventSourceMappingsCommand,
  UpdateEventSourceMappingCommand,
  type CreateEventSourceMappingCommandInput,
  type EventSourceMappingConfiguration,
  type LambdaClient,
} from '@aws-sdk/client-lambda';
import type { Logger } from '../logging.js';
import type { KafkaSourceAccess } from './settings.js';
import { sinkAliasOf } from './sink.js';

export interface SinkMappingsOptions {
  lambda: LambdaClient;
  /** The sink function (name or ARN, unqualified). */
  functionName: string;
  /** The Kafka cluster the mappings consume from (the one Slipway's sources produce to). */
  bootstrapServers: readonly string[];
  /** When that cluster is Amazon MSK: its ARN, and the mappings are MSK ones (events aws:kafka). */
  mskClusterArn?: string;
  /** Authentication, TLS and VPC of the mappings (settings.ts kafkaSourceAccess); set when a mapping is created. */
  sourceAccess?: readonly KafkaSourceAccess[];
  /** The cluster's topics, for topics.regex. */
  listTopics(): Promise<string[]>;
  logger: Logger;
}

/** Lambda's pattern for a consumer group id: [a-zA-Z0-9-\/*:_+=.@-]{1,200}. */
const GROUP_UNSAFE = /[^a-zA-Z0-9\-/*:_+=.@]/g;
const GROUP_MAX = 200;
/** Records per batch: the connector's consumer.override.max.poll.records, within Lambda's 1..10,000. */
export function sinkBatchSize(config: Readonly<Record<string, string>>): number {
  const n = Number(config['consumer.override.max.poll.records'] ?? 500);
  return Number.isInteger(n) ? Math.min(10_000, Math.max(1, n)) : 500;
}

/** States in which a mapping consumes, or is about to. */
const ENABLED_STATES = new Set(['Creating', 'Enabling', 'Enabled']);
/** States in which no update is accepted until the transition ends. */
const BUSY_STATES = new Set(['Creating', 'Enabling', 'Disabling', 'Updating', 'Deleting']);

/** Kafka Connect's `connect-<name>`, made to fit Lambda's pattern (a hash keeps rewritten names apart). */
export function sinkGroupId(connector: string, topic?: string): string {
  const raw = topic === undefined ? `connect-${connector}` : `connect-${connector}-${topic}`;
  if (raw.length <= GROUP_MAX && !GROUP_UNSAFE.test(raw)) return raw;
  GROUP_UNSAFE.lastIndex = 0;
  const hash = createHash('sha256').update(raw, 'utf8').digest('hex').slice(0, 8);
  return `${raw.replace(GROUP_UNSAFE, '_').slice(0, GROUP_MAX - 9)}-${hash}`;
}

/** The topics a sink connector's config asks for: `topics`, or the cluster's topics matching `topics.regex`. */
export async function sinkTopics(config: Readonly<Record<string, string>>, listTopics: () => Promise<string[]>): Promise<string[]> {
  const regex = config['topics.regex']?.trim();
  if (regex) {
    // Kafka Connect matches the whole name, and never internal topics.
    const pattern = new RegExp(`^(?:${regex})$`);
    return (await listTopics()).filter((t) => !t.startsWith('__') && pattern.test(t)).sort();
  }
  return [...new Set((config['topics'] ?? '').split(',').map((t) => t.trim()).filter(Boolean))];
}

export class SinkMappings {
  constructor(private readonly opts: SinkMappingsOptions) {}

  /** Brings the connector's alias and mappings to the wanted state. */
  async sync(connector: string, config: Readonly<Record<string, string>>, enabled: boolean): Promise<void> {
    const alias = sinkAliasOf(connector);
    await this.ensureAlias(alias, connector);
    const target = `${this.opts.functionName}:${alias}`;
    const existing = await this.mappingsOf(target);
    const topics = await sinkTopics(config, () => this.opts.listTopics());
    const single = topics.length === 1 && !config['topics.regex']?.trim();
    for (const topic of topics) {
      const mapping = existing.find((m) => m.Topics?.[0] === topic);
      if (!mapping) {
        await this.opts.lambda.send(
          new CreateEventSourceMappingCommand({
            FunctionName: target,
            Topics: [topic],
            ...this.source(sinkGroupId(connector, single ? undefined : topic)),
            StartingPosition: 'TRIM_HORIZON',
            BatchSize: sinkBatchSize(config),
            Enabled: enabled,
          }),
        );
        this.opts.logger.info('event source mapping created', { connector, topic, enabled });
        continue;
      }
      const isEnabled = ENABLED_STATES.has(mapping.State ?? '');
      const batchSize = sinkBatchSize(config);
      if ((isEnabled !== enabled || mapping.BatchSize !== batchSize) && !BUSY_STATES.has(mapping.State ?? '')) {
        await this.opts.lambda.send(new UpdateEventSourceMappingCommand({ UUID: mapping.UUID, Enabled: enabled, BatchSize: batchSize }));
        this.opts.logger.info('event source mapping updated', { connector, topic, enabled, batchSize });
      }
    }
    for (const mapping of existing) {
      if (!topics.includes(mapping.Topics?.[0] ?? '') && mapping.State !== 'Deleting') {
        await this.opts.lambda.send(new DeleteEventSourceMappingCommand({ UUID: mapping.UUID }));
        this.opts.logger.info('event source mapping deleted', { connector, topic: mapping.Topics?.[0] });
      }
    }
  }

  /** Deletes the mappings and aliases of sink connectors that no longer exist. */
  async prune(liveConnectors: Iterable<string>): Promise<void> {
    const live = new Set([...liveConnectors].map((name) => sinkAliasOf(name)));
    const aliases: string[] = [];
    let marker: string | undefined;
    do {
      const page = await this.opts.lambda.send(new ListAliasesCommand({ FunctionName: this.opts.functionName, Marker: marker }));
      for (const a of page.Aliases ?? []) if (a.Name?.startsWith('sink-')) aliases.push(a.Name);
      marker = page.NextMarker;
    } while (marker);
    for (const alias of aliases.filter((a) => !live.has(a))) {
      for (const mapping of await this.mappingsOf(`${this.opts.functionName}:${alias}`)) {
        if (mapping.State !== 'Deleting') await this.opts.lambda.send(new DeleteEventSourceMappingCommand({ UUID: mapping.UUID }));
      }
      await this.opts.lambda.send(new DeleteAliasCommand({ FunctionName: this.opts.functionName, Name: alias }));
      this.opts.logger.info('sink alias and mappings deleted', { alias });
    }
  }

  /** An MSK cluster by its ARN, or a self-managed one by its bootstrap servers. */
  private source(groupId: string): Partial<CreateEventSourceMappingCommandInput> {
    const access = this.opts.sourceAccess ?? [];
    if (this.opts.mskClusterArn) {
      // Lambda knows an MSK cluster's network itself: only the auth entries apply.
      const auth = access.filter((a) => a.Type === 'SASL_SCRAM_512_AUTH' || a.Type === 'CLIENT_CERTIFICATE_TLS_AUTH');
      return { EventSourceArn: this.opts.mskClusterArn, AmazonManagedKafkaEventSourceConfig: { ConsumerGroupId: groupId }, ...(auth.length > 0 ? { SourceAccessConfigurations: auth.map((a) => ({ ...a })) } : {}) };
    }
    return {
      SelfManagedEventSource: { Endpoints: { KAFKA_BOOTSTRAP_SERVERS: [...this.opts.bootstrapServers] } },
      SelfManagedKafkaEventSourceConfig: { ConsumerGroupId: groupId },
      ...(access.length > 0 ? { SourceAccessConfigurations: access.map((a) => ({ ...a })) } : {}),
    };
  }

  private async ensureAlias(alias: string, connector: string): Promise<void> {
    try {
      await this.opts.lambda.send(new GetAliasCommand({ FunctionName: this.opts.functionName, Name: alias }));
    } catch (err) {
      if ((err as { name?: string }).name !== 'ResourceNotFoundException') throw err;
      await this.opts.lambda.send(
        new CreateAliasCommand({ FunctionName: this.opts.functionName, Name: alias, FunctionVersion: '$LATEST', Description: `Slipway sink connector ${connector}` }),
      );
      this.opts.logger.info('sink alias created', { connector, alias });
    }
  }

  private async mappingsOf(functionName: string): Promise<EventSourceMappingConfiguration[]> {
    const out: EventSourceMappingConfiguration[] = [];
    let marker: string | undefined;
    do {
      const page = await this.opts.lambda.send(new ListEventSourceMappingsCommand({ FunctionName: functionName, Marker: marker }));
      out.push(...(page.EventSourceMappings ?? []));
      marker = page.NextMarker;
    } while (marker);
    return out;
  }
}
