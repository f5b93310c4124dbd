// `slipway dev`: the whole stack on one machine, in one process tree.
//   · the embedded broker (unless KAFKA_BOOTSTRAP_SERVERS / --kafka names a cluster)
//   · one "edge" HTTP port for the AWS APIs, like LocalStack's 4566: dynalite for
//     DynamoDB (unless AWS_ENDPOINT_URL names one) and the Lambda emulator
//   · the coordinator schedule (EventBridge's role) and the REST API on :8083
// The functions run in child processes and reach everything through the same
// environment variables they read in AWS: only endpoints differ.
import fs from 'node:fs';
import path from 'node:path';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { createApiApp } from '../api/app.js';
import { startApiServer } from '../api/server.js';
import { createKafka } from '../kafka/client.js';
import type { Logger } from '../logging.js';
import { createRuntimeRegistry } from '../runtime/plugins.js';
import { SinkGroupOffsets } from '../runtime/sink-offsets.js';
import { createDynamoClient, ensureTable, Store, tableName } from '../store/index.js';
import { startBroker, type Broker } from './broker/index.js';
import { dynaliteRequestHandler, type DynaliteRequestHandler } from './dynamo.js';
import { startEdge, type Edge } from './edge.js';
import { LambdaEmulator } from './lambda/emulator.js';
import { CoordinatorSchedule } from './scheduler.js';

/**
 * The sink function's V8 options, as template.yaml sets them on SinkFunction
 * (a test holds the two together). A batch allocates a few objects per record
 * and field, nearly all short-lived: a 32 MB young generation (16 MB by
 * default) halves the scavenges, about a tenth of the function's CPU in the
 * sink benchmark; the function has 1024 MB.
 */
export const SINK_NODE_OPTIONS = '--max-semi-space-size=32';

export interface DevOptions {
  dataDir: string;
  /** REST API port (Kafka Connect's 8083); 0 = free. */
  port: number;
  /** Embedded broker port; 0 = free. */
  brokerPort: number;
  /** Edge port for the DynamoDB and Lambda APIs; 0 = free. */
  edgePort?: number;
  /** An existing cluster instead of the embedded broker. */
  kafka?: string;
  /** An existing AWS endpoint (LocalStack) instead of dynalite; the Lambda emulator still runs here. */
  awsEndpoint?: string;
  /** How often the schedule fires the coordinator (AWS: 1 minute; locally a few seconds). */
  schedulePeriodMs?: number;
  /** Worker function timeout (Lambda's limit is 900 s). */
  workerTimeoutMs?: number;
  /** Extra environment for the functions (SLIPWAY_LEASE_TTL_MS, …). */
  functionEnv?: Record<string, string>;
  logger: Logger;
}

export interface DevStack {
  apiUrl: string;
  apiPort: number;
  bootstrap: string;
  edgeEndpoint: string;
  emulator: LambdaEmulator;
  /** Ask for one reconcile now (what the REST API does after each change). */
  kick(): Promise<void>;
  close(): Promise<void>;
}

const REPO_ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');

export async function startDev(opts: DevOptions): Promise<DevStack> {
  const { logger } = opts;
  fs.mkdirSync(opts.dataDir, { recursive: true });
  const closers: Array<() => Promise<void>> = [];
  const closeAll = async () => {
    for (const close of closers.reverse()) {
      try {
        await close();
      } catch (err) {
        logger.warn('shutdown step failed', { err });
      }
    }
  };

  try {
    let broker: Broker | undefined;
    const bootstrap = opts.kafka ?? (broker = await startBroker({ dataDir: path.join(opts.dataDir, 'broker'), port: opts.brokerPort, logger: logger.child({ component: 'broker' }) })).bootstrap;
    if (broker) closers.push(() => broker.close());

    let dynamo: DynaliteRequestHandler | undefined;
    if (!opts.awsEndpoint) {
      dynamo = dynaliteRequestHandler({ dataDir: path.join(opts.dataDir, 'dynamodb') });
      closers.push(() => dynamo!.close());
    }

    // The emulator needs the edge's address for the functions' env, and the edge
    // routes to the emulator: the emulator is created once the port is known.
    const lambdaService: { emulator?: LambdaEmulator } = {};
    const edge: Edge = await startEdge({
      port: opts.edgePort ?? 0,
      services: [(req, res) => (dynamo ? dynamo.route(req, res) : false), (req, res) => lambdaService.emulator?.handle(req, res) ?? false],
    });
    closers.push(() => edge.close());

    const awsEndpoint = opts.awsEndpoint ?? edge.endpoint;
    const names = { worker: 'slipway-worker', coordinator: 'slipway-coordinator', sink: 'slipway-sink' };
    const functionEnv: Record<string, string> = {
      AWS_ENDPOINT_URL: awsEndpoint,
      // Lambda calls always go to the local emulator, also when DynamoDB is LocalStack's.
      AWS_ENDPOINT_URL_LAMBDA: edge.endpoint,
      AWS_REGION: process.env.AWS_REGION ?? 'us-east-1',
      AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? 'slipway-local',
      AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? 'slipway-local',
      KAFKA_BOOTSTRAP_SERVERS: bootstrap,
      SLIPWAY_TABLE: tableName(),
      SLIPWAY_WORKER_FUNCTION: names.worker,
      SLIPWAY_COORDINATOR_FUNCTION: names.coordinator,
      // The SDK's notice that 2027 releases need Node 22 is nothing a local user can act on.
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      ...opts.functionEnv,
    };
    const emulator = new LambdaEmulator({
      logger: logger.child({ component: 'lambda' }),
      env: functionEnv,
      baseDir: REPO_ROOT,
      // Aliases and event source mappings (the sink path's) survive a restart on the same data dir.
      stateDir: path.join(opts.dataDir, 'lambda'),
      ...(broker ? { embeddedBootstrap: bootstrap } : {}),
      functions: [
        // MaximumRetryAttempts 0, as template.yaml: the coordinator decides when a task runs again.
        { name: names.worker, module: 'functions/worker.ts', handler: 'handler', timeoutMs: opts.workerTimeoutMs ?? 300_000, maxRetryAttempts: 0 },
        { name: names.coordinator, module: 'functions/coordinator.ts', handler: 'handler', timeoutMs: 60_000, maxRetryAttempts: 0 },
        // Invoked synchronously by event source mappings, through one alias per sink connector.
        { name: names.sink, module: 'functions/sink.ts', handler: 'handler', timeoutMs: 300_000, env: { NODE_OPTIONS: SINK_NODE_OPTIONS } },
      ],
    });
    lambdaService.emulator = emulator;
    closers.push(() => emulator.close());

    const clientEnv = { ...process.env, ...functionEnv };
    const store = new Store({ client: createDynamoClient(clientEnv), table: functionEnv.SLIPWAY_TABLE });
    await ensureTable(createDynamoClient(clientEnv), functionEnv.SLIPWAY_TABLE);

    const lambda = new LambdaClient({ endpoint: edge.endpoint, region: functionEnv.AWS_REGION, credentials: { accessKeyId: functionEnv.AWS_ACCESS_KEY_ID, secretAccessKey: functionEnv.AWS_SECRET_ACCESS_KEY } });
    const schedule = new CoordinatorSchedule(
      async () => {
        const res = await lambda.send(new InvokeCommand({ FunctionName: names.coordinator, InvocationType: 'RequestResponse', Payload: Buffer.from('{}') }));
        if (res.FunctionError) throw new Error(`coordinator failed: ${Buffer.from(res.Payload ?? []).toString().slice(0, 500)}`);
      },
      opts.schedulePeriodMs ?? 5_000,
      logger.child({ component: 'schedule' }),
    );
    // The API's kick does not wait for the pass: it only asks for one.
    const kick = async () => void schedule.kick();

    const app = createApiApp({
      store,
      registry: createRuntimeRegistry(),
      kickCoordinator: kick,
      logger: logger.child({ component: 'api' }),
      // A sink's offsets are its consumer groups' in the stack's Kafka, as functions/api.ts reads them.
      sinkOffsets: new SinkGroupOffsets(createKafka({ brokers: bootstrap.split(','), clientId: 'slipway-api', logger: logger.child({ component: 'api' }) })),
    });
    const api = await startApiServer({ app, port: opts.port });
    closers.push(() => api.close());

    schedule.start();
    closers.push(() => schedule.stop());
    // Connectors left RUNNING by the last session resume now, not a period later.
    void schedule.kick();

    logger.info('slipway dev ready', { api: api.url, kafka: bootstrap, edge: edge.endpoint, dataDir: opts.dataDir });
    return { apiUrl: api.url, apiPort: api.port, bootstrap, edgeEndpoint: edge.endpoint, emulator, kick, close: closeAll };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
