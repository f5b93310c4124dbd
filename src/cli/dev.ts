// `slipway dev`: the whole pipeline on this machine (src/local/dev.ts) until
// Ctrl-C, which stops everything cleanly: no child process is left running.
import { createLogger, isLogLevel, type LogLevel } from '../logging.js';
import { EXIT_FAILURE, EXIT_OK, UsageError, intOption, parseCommandLine, type Command } from './usage.js';
import { untilSignal } from './signals.js';

const DEFAULTS = { port: 8083, brokerPort: 9092, dataDir: '.slipway', logLevel: 'info' as LogLevel, schedule: 5000 };

const USAGE = `Usage: slipway dev [options]

Runs Slipway locally: the embedded Kafka broker, an embedded DynamoDB, the
Lambda emulator with the worker and coordinator functions, the coordinator
schedule, and the Kafka Connect REST API. State lives in --data-dir, so a
restart resumes every connector where it was.

Options:
  --port P            REST API port (default ${DEFAULTS.port}); 0 picks a free one
  --broker-port P     embedded broker port (default ${DEFAULTS.brokerPort})
  --edge-port P       port of the local AWS endpoint (DynamoDB + Lambda APIs); default: a free one
  --data-dir D        state directory (default ${DEFAULTS.dataDir})
  --kafka H:P         use this Kafka cluster instead of the embedded broker (or KAFKA_BOOTSTRAP_SERVERS)
  --schedule-ms N     coordinator schedule period (default ${DEFAULTS.schedule})
  --log-level L       debug | info | warn | error | silent (default ${DEFAULTS.logLevel})
  -h, --help          this text

Environment: AWS_ENDPOINT_URL (use LocalStack's DynamoDB instead of the embedded one),
KAFKA_BOOTSTRAP_SERVERS, SLIPWAY_TABLE, SLIPWAY_LEASE_TTL_MS, SLIPWAY_SAFETY_BUFFER_MS.
`;

const OPTIONS = {
  port: { type: 'string' },
  'broker-port': { type: 'string' },
  'edge-port': { type: 'string' },
  'data-dir': { type: 'string' },
  kafka: { type: 'string' },
  'schedule-ms': { type: 'string' },
  'worker-timeout-ms': { type: 'string' },
  'log-level': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const devCommand: Command = {
  name: 'dev',
  summary: 'run the whole stack locally (broker, DynamoDB, Lambda emulator, REST API)',
  usage: USAGE,
  async run(argv) {
    const parsed = parseCommandLine(USAGE, argv, OPTIONS, { allowPositionals: false });
    if (!parsed) return EXIT_OK;
    const { values } = parsed;
    const level = values['log-level'] ?? DEFAULTS.logLevel;
    if (!isLogLevel(level)) throw new UsageError(`--log-level must be one of debug, info, warn, error, silent; got "${level}"`, USAGE);
    const logger = createLogger('slipway.dev', { level });
    const { startDev } = await import('../local/dev.js');
    let stack;
    try {
      stack = await startDev({
        dataDir: values['data-dir'] || DEFAULTS.dataDir,
        port: intOption('port', values.port, DEFAULTS.port, 0, 65535, USAGE),
        brokerPort: intOption('broker-port', values['broker-port'], DEFAULTS.brokerPort, 0, 65535, USAGE),
        edgePort: intOption('edge-port', values['edge-port'], 0, 0, 65535, USAGE),
        kafka: values.kafka ?? process.env.KAFKA_BOOTSTRAP_SERVERS,
        awsEndpoint: process.env.AWS_ENDPOINT_URL,
        schedulePeriodMs: intOption('schedule-ms', values['schedule-ms'], DEFAULTS.schedule, 100, 3_600_000, USAGE),
        workerTimeoutMs: intOption('worker-timeout-ms', values['worker-timeout-ms'], 300_000, 1000, 900_000, USAGE),
        functionEnv: { SLIPWAY_LOG_LEVEL: level },
        logger,
      });
    } catch (err) {
      logger.error('slipway dev failed to start', { err });
      return EXIT_FAILURE;
    }
    const signal = await untilSignal(logger);
    logger.info('stopping', { signal });
    await stack.close();
    return EXIT_OK;
  },
};
