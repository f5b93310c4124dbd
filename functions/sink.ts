// Lambda entry point: one invocation delivers one batch of a Kafka event source
// mapping (`aws:kafka` from MSK, `SelfManagedKafka`) to one sink connector
// (src/runtime/sink.ts). Success commits the batch; a thrown error makes Lambda
// retry it.
//
// Decision: an invocation knows its connector from the function alias it was
// invoked through. The coordinator creates, per sink connector, an alias of
// this function named sinkAliasOf(<connector>) and points the connector's event
// source mapping at that alias's ARN, so context.invokedFunctionArn ends in
// `:<alias>`. Why: the event carries neither the consumer group nor the
// connector, two sink connectors may read the same topic, and a function per
// connector would not scale to zero as cheaply (aliases cost nothing).
// Invoked unqualified (`slipway invoke sink`), the one sink connector
// consuming the batch's topics is taken.
import { bootstrapServers, createKafka } from '../src/kafka/client.js';
import { createLogger, logLevelFrom } from '../src/logging.js';
import { createRuntimeRegistry } from '../src/runtime/plugins.js';
import { localWorkerId } from '../src/runtime/settings.js';
import { runSinkInvocation, sinkConnectorFor, type SinkDeps, type SinkResult } from '../src/runtime/sink.js';
import { SinkTaskCache } from '../src/runtime/sink-tasks.js';
import { isKafkaSinkEvent, topicsOfBatch } from '../src/runtime/sink-event.js';
import { createDynamoClient, Store, tableName } from '../src/store/index.js';

let deps: SinkDeps | undefined;
/** alias → connector name, for this warm environment (saves listing the connectors per batch). */
const aliases = new Map<string, string>();

function depsOnce(): SinkDeps {
  if (deps) return deps;
  const registry = createRuntimeRegistry();
  const logger = createLogger('sink', { level: logLevelFrom() });
  return (deps = {
    store: new Store({ client: createDynamoClient(), table: tableName() }),
    registry,
    clock: Date.now,
    logger,
    workerId: localWorkerId(),
    env: process.env,
    // The cluster Slipway is configured for (auth included), for dead letter queues.
    kafka: createKafka({ brokers: bootstrapServers(), clientId: 'slipway-sink', logger }),
    tasks: new SinkTaskCache(logger),
  });
}

export async function handler(event: unknown, context: { invokedFunctionArn: string; getRemainingTimeInMillis(): number }): Promise<SinkResult> {
  if (!isKafkaSinkEvent(event)) throw new Error(`sink event must be an aws:kafka or SelfManagedKafka batch, got ${JSON.stringify(event)?.slice(0, 200)}`);
  const d = depsOnce();
  const connector = await sinkConnectorFor(context.invokedFunctionArn, topicsOfBatch(event), d, aliases);
  // Retries within errors.retry.timeout stop before the function's own deadline.
  return runSinkInvocation(event, connector, { ...d, remainingTimeMs: () => context.getRemainingTimeInMillis() });
}
