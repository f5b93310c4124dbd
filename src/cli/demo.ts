// `slipway demo` (what `npm start` runs): the Debezium tutorial end to end
// (src/local/demo.ts) until Ctrl-C, which stops everything it started: the dev
// stack with its function processes and the private MariaDB.
import path from 'node:path';
import { createLogger } from '../logging.js';
import { EXIT_FAILURE, EXIT_OK, intOption, logLevelOption, parseCommandLine, type Command } from './usage.js';
import { untilSignal } from './signals.js';

const DEFAULTS = { dataDir: path.join('.slipway', 'demo'), mariadbPort: 3307, port: 8083, brokerPort: 9092, logLevel: 'warn' as const };

const USAGE = `Usage: slipway demo [options]

The Debezium tutorial, end to end, with no Docker, Kubernetes or JVM: a
private MariaDB with the tutorial's inventory database, \`slipway dev\`, and
examples/inventory-connector.yaml (a Strimzi KafkaConnector for
io.debezium.connector.mariadb.MariaDbConnector) applied to it. Shows every
change event as one line (table, op, key, changed fields) until Ctrl-C, and
the command that changes a row from another terminal. A second run on the
same --data-dir continues where the first one stopped.

Options:
  --data-dir D        everything the demo keeps (default ${DEFAULTS.dataDir})
  --mariadb-port P    port of the private MariaDB (default: the connector file's
                      database.port, ${DEFAULTS.mariadbPort}); 0 picks a free one
  --port P            REST API port (default ${DEFAULTS.port}); 0 picks a free one
  --broker-port P     embedded Kafka broker port (default ${DEFAULTS.brokerPort}); 0 picks a free one
  -f, --filename F    the KafkaConnector to apply (default examples/inventory-connector.yaml)
  --log-level L       debug | info | warn | error | silent, for the logs on stderr (default ${DEFAULTS.logLevel})
  -h, --help          this text

The connector config is fitted to the ports in use when they differ from the
file (each change is printed). The CDC user's password is made on the first
run and kept in <data-dir>/inventory-credentials.properties, which the
connector reads through \${file:…}; it is never printed.
`;

const OPTIONS = {
  'data-dir': { type: 'string' },
  'mariadb-port': { type: 'string' },
  port: { type: 'string' },
  'broker-port': { type: 'string' },
  filename: { type: 'string', short: 'f' },
  'log-level': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/**
 * Resolves when the process that started this one with an IPC channel is gone
 * (`npm start` runs the demo in a process group of its own, so no terminal
 * signal reaches it directly): the demo then stops as on SIGTERM. Never
 * resolves without such a channel.
 */
function parentGone(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    if (!process.connected) return;
    process.channel?.unref();
    process.once('disconnect', () => resolve('SIGTERM'));
  });
}

export const demoCommand: Command = {
  name: 'demo',
  summary: 'the Debezium tutorial end to end: MariaDB → CDC connector → change events (npm start)',
  usage: USAGE,
  async run(argv) {
    const parsed = parseCommandLine(USAGE, argv, OPTIONS, { allowPositionals: false });
    if (!parsed) return EXIT_OK;
    const { values } = parsed;
    const level = logLevelOption(values['log-level'], DEFAULTS.logLevel, USAGE);
    const opts = {
      dataDir: values['data-dir'] || DEFAULTS.dataDir,
      mariadbPort: values['mariadb-port'] === undefined ? undefined : intOption('mariadb-port', values['mariadb-port'], DEFAULTS.mariadbPort, 0, 65535, USAGE),
      apiPort: intOption('port', values.port, DEFAULTS.port, 0, 65535, USAGE),
      brokerPort: intOption('broker-port', values['broker-port'], DEFAULTS.brokerPort, 0, 65535, USAGE),
      connectorFile: values.filename,
    };
    // A terminal's Ctrl-C also reaches the function processes, and the Lambda emulator
    // warns about each invocation that died of it: while stopping, only errors are shown
    // (unless info or debug logs were asked for).
    let stopping = false;
    const quietWhileStopping = level !== 'debug' && level !== 'info';
    const logger = createLogger('slipway.demo', {
      level,
      write: (line) => {
        if (!(stopping && quietWhileStopping) || line.includes('"level":"error"')) process.stderr.write(`${line}\n`);
      },
    });
    // Signals are taken from the start: a Ctrl-C while MariaDB or the stack is
    // still starting closes what was started instead of leaving it behind.
    const aborter = new AbortController();
    const signalled = Promise.race([untilSignal(logger), parentGone()]).then((signal) => {
      stopping = true;
      aborter.abort();
      return signal;
    });
    const { DemoError, startDemo } = await import('../local/demo.js');
    let demo;
    try {
      demo = await startDemo({ ...opts, logger, functionLogLevel: level, signal: aborter.signal });
    } catch (err) {
      if (aborter.signal.aborted) return EXIT_OK;
      if (!(err instanceof DemoError)) throw err;
      process.stderr.write(`slipway demo: ${err.message}\n`);
      return EXIT_FAILURE;
    }
    await signalled;
    process.stdout.write('Stopping: pausing the connector (it stores its offsets), then Slipway and MariaDB…\n');
    await demo.close();
    process.stdout.write(`Stopped. The next run continues from here (state in ${opts.dataDir}).\n`);
    return EXIT_OK;
  },
};
