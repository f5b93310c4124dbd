// `slipway broker`: the embedded single-node Kafka-compatible broker as a
// foreground process. It runs until SIGINT/SIGTERM, then closes the broker
// (flush + fsync) before exiting, so a clean stop loses nothing.
import { createLogger, type LogLevel } from '../logging.js';
import { untilSignal } from './signals.js';
import { EXIT_FAILURE, EXIT_OK, UsageError, intOption, logLevelOption, parseCommandLine, type Command } from './usage.js';

const DEFAULTS = { port: 9092, host: '127.0.0.1', dataDir: '.slipway/broker', partitions: 1, logLevel: 'info' as LogLevel };

const USAGE = `Usage: slipway broker [options]

Serves the Kafka protocol from an embedded single-node broker, persisted to
--data-dir, until interrupted (SIGINT/SIGTERM close it cleanly).

Options:
  --port P          TCP port; 0 picks a free one (default ${DEFAULTS.port})
  --host H          address to listen on (default ${DEFAULTS.host})
  --data-dir D      where topics, group offsets and producer state live (default ${DEFAULTS.dataDir})
  --partitions N    partitions of auto-created topics (default ${DEFAULTS.partitions})
  --log-level L     debug | info | warn | error | silent (default ${DEFAULTS.logLevel}); debug shows connections
  -h, --help        this text
`;

const OPTIONS = {
  port: { type: 'string' },
  host: { type: 'string' },
  'data-dir': { type: 'string' },
  partitions: { type: 'string' },
  'log-level': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const brokerCommand: Command = {
  name: 'broker',
  summary: 'run the embedded Kafka-compatible broker',
  usage: USAGE,
  async run(argv) {
    const parsed = parseCommandLine(USAGE, argv, OPTIONS, { allowPositionals: false });
    if (!parsed) return EXIT_OK;
    const { values } = parsed;
    const logLevel = logLevelOption(values['log-level'], DEFAULTS.logLevel, USAGE);
    const dataDir = values['data-dir'] ?? DEFAULTS.dataDir;
    if (dataDir === '') throw new UsageError('--data-dir must not be empty', USAGE);
    // Loaded only when needed, so `slipway --help` works even if the broker cannot load.
    const [{ startBroker }, { MAX_PARTITIONS }] = await Promise.all([import('../local/broker/index.js'), import('../local/broker/log/log-manager.js')]);
    const opts = {
      port: intOption('port', values.port, DEFAULTS.port, 0, 65535, USAGE),
      host: values.host ?? DEFAULTS.host,
      dataDir,
      partitions: intOption('partitions', values.partitions, DEFAULTS.partitions, 1, MAX_PARTITIONS, USAGE),
      logLevel,
    };

    const log = createLogger('slipway.cli', { level: logLevel });
    let broker;
    try {
      broker = await startBroker(opts);
    } catch (err) {
      log.error('broker failed to start', { err, ...opts });
      return EXIT_FAILURE;
    }

    const signal = await untilSignal(log);
    log.info('broker stopping', { signal });
    try {
      await broker.close();
    } catch (err) {
      log.error('broker failed to close cleanly', { err });
      return EXIT_FAILURE;
    }
    return EXIT_OK;
  },
};
