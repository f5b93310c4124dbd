// `slipway offsets NAME [--reset]`: GET /connectors/{name}/offsets, printed as
// the REST API's JSON ({"offsets": [{"partition", "offset"}]}); --reset is
// DELETE /connectors/{name}/offsets, which the server allows only while the
// connector is STOPPED (`slipway stop NAME`), and says so otherwise.
import { REST_OPTIONS, URL_HELP, connectorPath, onePositional, reportFailures, restClient , parseCommandLine } from './rest.js';
import { EXIT_OK, type Command } from './usage.js';

const USAGE = `Usage: slipway offsets NAME [--reset] [--url URL]

Prints the connector's committed offsets as JSON: one entry per source
partition (or topic partition, for a sink).

Options:
  --reset         delete every offset of the connector, so it starts over;
                  the connector must be STOPPED first (slipway stop NAME)
${URL_HELP}
`;

const OPTIONS = { ...REST_OPTIONS, reset: { type: 'boolean' } } as const;

export const offsetsCommand: Command = {
  name: 'offsets',
  summary: "show a connector's offsets, or --reset them while it is stopped",
  usage: USAGE,
  async run(argv) {
    const parsed = parseCommandLine(USAGE, argv, OPTIONS);
    if (!parsed) return EXIT_OK;
    const { values, positionals } = parsed;
    const name = onePositional(positionals, 'NAME', USAGE);
    const client = restClient(values.url, USAGE);
    return reportFailures(async () => {
      if (values.reset) {
        const { body } = await client.request('DELETE', connectorPath(name, '/offsets'));
        const message = (body as { message?: unknown } | undefined)?.message;
        process.stdout.write(`${name}: ${typeof message === 'string' ? message : 'offsets reset'}\n`);
      } else {
        const { body } = await client.request('GET', connectorPath(name, '/offsets'));
        process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
      }
      return EXIT_OK;
    });
  },
};
