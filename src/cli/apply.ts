// `slipway apply -f FILE…`: creates or updates the connectors of config files
// in any of the three forms (config-forms.ts) through the REST API.
//
// Every file is read and checked before anything is sent, so a typo in the
// third file changes nothing. Then, per connector:
//   · asked to be PAUSED or STOPPED: POST /connectors with initial_state, so a
//     new connector never runs a moment; if it exists (409), PUT its config,
//     then PUT /pause or /stop;
//   · otherwise PUT /connectors/{name}/config (201 created, 200 updated), then
//     PUT /resume when the file asks for RUNNING and the connector existed.
// A connector the server refuses is reported and the others are still applied;
// the exit code is then 1.
import { readConfigFile, type ConnectorDefinition, type ParsedConfigFile } from './config-forms.js';
import { CommandFailure, REST_OPTIONS, ServerError, URL_HELP, connectorPath, reportFailures, restClient, type RestClient } from './rest.js';
import { EXIT_FAILURE, EXIT_OK, UsageError, parseCommandLine, type Command } from './usage.js';

const USAGE = `Usage: slipway apply -f FILE [-f FILE…] [--url URL]

Creates or updates connectors from config files, in any of the forms users
already have, unchanged:
  Kafka Connect JSON       {"name": ..., "config": {...}} or a bare config with "name"
  Strimzi KafkaConnector   YAML with spec.class, spec.tasksMax, spec.config, spec.state;
                           several documents apply several connectors
  MSK Connect properties   key=value lines; the name from name= or the file name
A state in the file (initial_state, spec.state / spec.pause) is applied too.

Options:
  -f, --filename FILE  a config file; - reads standard input; repeatable
${URL_HELP}
`;

const OPTIONS = { ...REST_OPTIONS, filename: { type: 'string', short: 'f', multiple: true } } as const;

const STATE_ACTIONS = { RUNNING: 'resume', PAUSED: 'pause', STOPPED: 'stop' } as const;

export const applyCommand: Command = {
  name: 'apply',
  summary: 'create or update connectors from JSON, Strimzi YAML or MSK properties files',
  usage: USAGE,
  async run(argv) {
    const parsed = parseCommandLine(USAGE, argv, OPTIONS);
    if (!parsed) return EXIT_OK;
    const { values, positionals } = parsed;
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"; name files with -f`, USAGE);
    const files = values.filename ?? [];
    if (files.length === 0) throw new UsageError('no file given: -f FILE', USAGE);
    if (files.filter((f) => f === '-').length > 1) throw new UsageError('standard input (-f -) can be read only once', USAGE);
    const client = restClient(values.url, USAGE);

    return reportFailures(async () => {
      const parsed: ParsedConfigFile[] = [];
      for (const file of files) parsed.push(await readConfigFile(file));
      const connectors = uniqueConnectors(parsed);
      for (const warning of parsed.flatMap((p) => p.warnings)) process.stderr.write(`slipway: warning: ${warning}\n`);

      let failed = 0;
      for (const { connector } of connectors) {
        try {
          process.stdout.write(`${connector.name}: ${await applyOne(client, connector)}\n`);
        } catch (err) {
          if (!(err instanceof ServerError)) throw err;
          failed++;
          process.stderr.write(`slipway: ${connector.name}: ${err.message}\n`);
        }
      }
      return failed === 0 ? EXIT_OK : EXIT_FAILURE;
    });
  },
};

/** Every connector of every file, a name at most once. */
function uniqueConnectors(files: readonly ParsedConfigFile[]): { connector: ConnectorDefinition; file: string }[] {
  const seen = new Map<string, string>();
  const out: { connector: ConnectorDefinition; file: string }[] = [];
  for (const { file, connectors } of files) {
    for (const connector of connectors) {
      const first = seen.get(connector.name);
      if (first !== undefined) throw new CommandFailure(`connector "${connector.name}" is defined both in ${first} and in ${file}; nothing was applied`);
      seen.set(connector.name, file);
      out.push({ connector, file });
    }
  }
  return out;
}

/** Creates or updates one connector and applies its state; says what happened. */
export async function applyOne(client: RestClient, connector: ConnectorDefinition): Promise<string> {
  const { name, config, initialState } = connector;
  if (initialState === 'PAUSED' || initialState === 'STOPPED') {
    try {
      await client.request('POST', '/connectors', { name, config, initial_state: initialState });
      return `created (${initialState})`;
    } catch (err) {
      if (!(err instanceof ServerError && err.status === 409)) throw err;
    }
  }
  const put = await client.request('PUT', connectorPath(name, '/config'), config);
  const created = put.status === 201;
  if (initialState === undefined || (created && initialState === 'RUNNING')) return created ? 'created' : 'updated';
  await client.request('PUT', connectorPath(name, `/${STATE_ACTIONS[initialState]}`));
  return `${created ? 'created' : 'updated'} (${initialState})`;
}
