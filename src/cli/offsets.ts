// `slipway offsets NAME [--reset]`: GET /connectors/{name}/offsets, printed as
// the REST API's JSON ({"offsets": [{"partition", "offset"}]}); --reset is
// DELETE /connectors/{name}/offsets, which the server allows only while the
// connector is STOPPED (`slipway stop NAME`), and says so otherwise.
// Right after a stop the server answers 409 while the last invocations still
// hold their leases (they stop within a lease renewal); --reset waits that out
// instead of making the user retry by hand.
import { setTimeout as sleep } from 'node:timers/promises';
import { REST_OPTIONS, ServerError, URL_HELP, connectorCommandRun, connectorPath, type RestClient } from './rest.js';
import type { Command } from './usage.js';

/** How long --reset waits for a stopped connector's invocations to release their leases. */
const RESET_WAIT_MS = 60_000;
const RESET_RETRY_MS = 500;

const USAGE = `Usage: slipway offsets NAME [--reset] [--url URL]

Prints the connector's committed offsets as JSON: one entry per source
partition (or topic partition, for a sink).

Options:
  --reset         delete every offset of the connector, so it starts over;
                  the connector must be STOPPED first (slipway stop NAME);
                  waits up to ${RESET_WAIT_MS / 1000} s for its last invocations to end
${URL_HELP}
`;

const OPTIONS = { ...REST_OPTIONS, reset: { type: 'boolean' } } as const;

export const offsetsCommand: Command = {
  name: 'offsets',
  summary: "show a connector's offsets, or --reset them while it is stopped",
  usage: USAGE,
  run: connectorCommandRun(USAGE, OPTIONS, async (client, name, values) => {
    if (values.reset) {
      const body = await resetOffsets(client, name);
      const message = (body as { message?: unknown } | undefined)?.message;
      process.stdout.write(`${name}: ${typeof message === 'string' ? message : 'offsets reset'}\n`);
    } else {
      const { body } = await client.request('GET', connectorPath(name, '/offsets'));
      process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
    }
  }),
};

/** DELETE the offsets, retrying while tasks of the stopped connector still hold leases (409). */
async function resetOffsets(client: RestClient, name: string): Promise<unknown> {
  const deadline = Date.now() + RESET_WAIT_MS;
  for (let attempt = 0; ; attempt++) {
    try {
      return (await client.request('DELETE', connectorPath(name, '/offsets'))).body;
    } catch (err) {
      if (!(err instanceof ServerError && err.status === 409) || Date.now() > deadline) throw err;
      if (attempt === 0) process.stderr.write(`slipway: ${name}: waiting up to ${RESET_WAIT_MS / 1000} s for its tasks to stop (${err.message})\n`);
    }
    await sleep(RESET_RETRY_MS);
  }
}
