// Lambda entry point: one invocation runs one source task (src/runtime/worker.ts).
// Event: {"connector": "<name>", "task": <id>, "handoffEpoch"?: <n>}.
import { LambdaClient } from '@aws-sdk/client-lambda';
import { bootstrapServers, createKafka } from '../src/kafka/client.js';
import { createLogger, logLevelFrom } from '../src/logging.js';
import { createAsyncInvoker } from '../src/runtime/invoker.js';
import { createRuntimeRegistry } from '../src/runtime/plugins.js';
import { functionNames, localWorkerId, workerSettingsFrom } from '../src/runtime/settings.js';
import { runWorkerInvocation, type WorkerDeps, type WorkerEvent, type WorkerResult } from '../src/runtime/worker.js';
import { createDynamoClient, Store, tableName } from '../src/store/index.js';

let deps: WorkerDeps | undefined;

function depsOnce(): WorkerDeps {
  const logger = createLogger('worker', { level: logLevelFrom() });
  const workerId = localWorkerId();
  return (deps ??= {
    store: new Store({ client: createDynamoClient(), table: tableName() }),
    registry: createRuntimeRegistry(),
    kafka: createKafka({ brokers: bootstrapServers(), clientId: `slipway-worker-${workerId}`, logger }),
    invokeSuccessor: createAsyncInvoker<WorkerEvent>(new LambdaClient({}), functionNames().worker),
    clock: Date.now,
    logger,
    workerId,
    env: process.env,
    settings: workerSettingsFrom(),
  });
}

export function isWorkerEvent(event: unknown): event is WorkerEvent {
  const e = event as Partial<WorkerEvent> | null;
  return (
    typeof e === 'object' && e !== null && typeof e.connector === 'string' && e.connector !== '' && Number.isInteger(e.task) && (e.task as number) >= 0 &&
    (e.handoffEpoch === undefined || Number.isInteger(e.handoffEpoch))
  );
}

export async function handler(event: unknown, context: { getRemainingTimeInMillis(): number }): Promise<WorkerResult> {
  if (!isWorkerEvent(event)) throw new Error(`worker event must be {"connector": string, "task": int}, got ${JSON.stringify(event)?.slice(0, 200)}`);
  return runWorkerInvocation(event, () => context.getRemainingTimeInMillis(), depsOnce());
}
