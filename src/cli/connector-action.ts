// Commands that send one request about one connector and report it in one
// line: delete, pause, resume, stop. Each is a table entry built here.
import { REST_OPTIONS, URL_HELP, connectorCommandRun, connectorPath } from './rest.js';
import type { Command } from './usage.js';

export interface ConnectorAction {
  name: string;
  summary: string;
  /** What the command does, for its --help. */
  description: string;
  method: 'PUT' | 'DELETE';
  /** After /connectors/{name}. */
  suffix: string;
  /** Printed after "NAME: " once the server accepted the request. */
  done: string;
}

export function connectorActionCommand(action: ConnectorAction): Command {
  const usage = `Usage: slipway ${action.name} NAME [--url URL]

${action.description}

Options:
${URL_HELP}
`;
  return {
    name: action.name,
    summary: action.summary,
    usage,
    run: connectorCommandRun(usage, REST_OPTIONS, async (client, name) => {
      await client.request(action.method, connectorPath(name, action.suffix));
      process.stdout.write(`${name}: ${action.done}\n`);
    }),
  };
}
