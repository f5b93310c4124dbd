// `slipway restart NAME [--include-tasks] [--only-failed]`:
// POST /connectors/{name}/restart?includeTasks=&onlyFailed= (both false by
// default, as in Kafka Connect). With either flag the server answers with the
// status it is restarting into, which is printed as `slipway status NAME` does.
import { REST_OPTIONS, URL_HELP, connectorCommandRun, connectorPath } from './rest.js';
import { formatStatus, type ConnectorStatusView } from './status.js';
import type { Command } from './usage.js';

const USAGE = `Usage: slipway restart NAME [--include-tasks] [--only-failed] [--url URL]

Restarts the connector, as POST /connectors/NAME/restart does. A task still
running in a live invocation is left alone until its lease ends.

Options:
  --include-tasks  restart the connector's tasks too
  --only-failed    restart only what is FAILED
${URL_HELP}
`;

const OPTIONS = { ...REST_OPTIONS, 'include-tasks': { type: 'boolean' }, 'only-failed': { type: 'boolean' } } as const;

export const restartCommand: Command = {
  name: 'restart',
  summary: 'restart a connector, and with --include-tasks its tasks',
  usage: USAGE,
  run: connectorCommandRun(USAGE, OPTIONS, async (client, name, values) => {
    const query = new URLSearchParams({ includeTasks: String(values['include-tasks'] ?? false), onlyFailed: String(values['only-failed'] ?? false) });
    const { body } = await client.request('POST', connectorPath(name, `/restart?${query}`));
    process.stdout.write(body === undefined ? `${name}: restart requested\n` : formatStatus(body as ConnectorStatusView));
  }),
};
