// Lambda entry point: one reconcile pass (src/runtime/coordinator.ts), fired by the
// REST API's kick (async Invoke) and by the schedule. Any event shape is accepted:
// both sources only mean "look now".
import os from 'node:os';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { createLogger, logLevelFrom } from '../src/logging.js';
import { reconcile, type CoordinatorDeps, type ReconcileSummary } from '../src/runtime/coordinator.js';
import { createKafka, bootstrapServers } from '../src/kafka/client.js';
import { createAsyncInvoker } from '../src/runtime/invoker.js';
import { createRuntimeRegistry } from '../src/runtime/plugins.js';
import { SinkMappings } from '../src/runtime/sink-mappings.js';
import { coordinatorSettingsFrom, functionNames, kafkaSourceAccess, mskClusterArn } from '../src/runtime/settings.js';
import type { WorkerEvent } from '../src/runtime/worker.js';
import { createDynamoClient, Store, tableName } from '../src/store/index.js';

let deps: CoordinatorDeps | undefined;

function depsOnce(): CoordinatorDeps {
  const lambda = new LambdaClient({});
  const logger = createLogger('coordinator', { level: logLevelFrom() });
  const kafka = createKafka({ brokers: bootstrapServers(), clientId: 'slipway-coordinator', logger });
  return (deps ??= {
    store: new Store({ client: createDynamoClient(), table: tableName() }),
    registry: createRuntimeRegistry(),
    invokeWorker: createAsyncInvoker<WorkerEvent>(lambda, functionNames().worker),
    sinks: new SinkMappings({
      lambda,
      functionName: functionNames().sink,
      bootstrapServers: bootstrapServers(),
      mskClusterArn: mskClusterArn(),
      sourceAccess: kafkaSourceAccess(),
      listTopics: async () => {
        const admin = kafka.admin();
        await admin.connect();
        try {
          return await admin.listTopics();
        } finally {
          await admin.disconnect();
        }
      },
      logger,
    }),
    clock: Date.now,
    logger,
    coordinatorId: `${os.hostname()}:${process.pid}`,
    env: process.env,
    settings: coordinatorSettingsFrom(),
  });
}

export async function handler(_event: unknown): Promise<ReconcileSummary> {
  return reconcile(depsOnce());
}
