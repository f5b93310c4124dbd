// `slipway status [NAME]`: every connector as a table (GET
// /connectors?expand=status), or one connector's status with its tasks and
// the traces of failed ones (GET /connectors/{name}/status). --json prints the
// server's answer as it is, for scripts.
import { REST_OPTIONS, URL_HELP, connectorPath, reportFailures, restClient } from './rest.js';
import { EXIT_OK, UsageError, parseCommandLine, type Command } from './usage.js';

const USAGE = `Usage: slipway status [NAME] [--json] [--url URL]

Without NAME: every connector with its type, state and tasks.
With NAME: that connector's state and each task's state and worker
(<hostname>:<pid> locally), with the trace of a failed one.

Options:
  --json          print the REST API's answer as JSON
${URL_HELP}
`;

const OPTIONS = { ...REST_OPTIONS, json: { type: 'boolean' } } as const;

/** GET /connectors/{name}/status, in Kafka Connect's shape. */
export interface ConnectorStatusView {
  name: string;
  connector: { state: string; worker_id: string; trace?: string };
  tasks: { id: number; state: string; worker_id: string; trace?: string }[];
  type: string;
}

export const statusCommand: Command = {
  name: 'status',
  summary: 'show all connectors, or one connector with its tasks',
  usage: USAGE,
  async run(argv) {
    const parsed = parseCommandLine(USAGE, argv, OPTIONS);
    if (!parsed) return EXIT_OK;
    const { values, positionals } = parsed;
    if (positionals.length > 1) throw new UsageError(`one NAME at most, got ${positionals.length}: ${positionals.join(' ')}`, USAGE);
    const client = restClient(values.url, USAGE);
    const name = positionals[0];
    return reportFailures(async () => {
      const { body } =
        name === undefined ? await client.request('GET', '/connectors?expand=status') : await client.request('GET', connectorPath(name, '/status'));
      if (values.json) process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
      else if (name === undefined) process.stdout.write(formatTable(Object.values(body as Record<string, { status: ConnectorStatusView }>).map((e) => e.status)));
      else process.stdout.write(formatStatus(body as ConnectorStatusView));
      return EXIT_OK;
    });
  },
};

/** One line per connector: NAME TYPE STATE TASKS (a count per task state). */
export function formatTable(statuses: readonly ConnectorStatusView[]): string {
  if (statuses.length === 0) return 'No connectors.\n';
  const rows = [...statuses]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((s) => [s.name, s.type, s.connector.state, taskSummary(s.tasks)]);
  return columns([['NAME', 'TYPE', 'STATE', 'TASKS'], ...rows]);
}

function taskSummary(tasks: ConnectorStatusView['tasks']): string {
  if (tasks.length === 0) return '-';
  const counts = new Map<string, number>();
  for (const t of tasks) counts.set(t.state, (counts.get(t.state) ?? 0) + 1);
  return [...counts].map(([state, n]) => `${n} ${state}`).join(', ');
}

/** One connector: its state, then each task, with traces indented under failed ones. */
export function formatStatus(status: ConnectorStatusView): string {
  const lines = [`Connector  ${status.name} (${status.type})`, `State      ${status.connector.state}  worker ${status.connector.worker_id}`];
  if (status.connector.trace) lines.push(indent(status.connector.trace, '           '));
  if (status.tasks.length === 0) {
    lines.push('Tasks      none');
  } else {
    lines.push('Tasks');
    const table = columns(status.tasks.map((t) => [`  ${t.id}`, t.state, `worker ${t.worker_id}`])).trimEnd().split('\n');
    status.tasks.forEach((t, i) => {
      lines.push(table[i]!);
      if (t.trace) lines.push(indent(t.trace, '      '));
    });
  }
  return `${lines.join('\n')}\n`;
}

function indent(text: string, prefix: string): string {
  return text
    .trimEnd()
    .split('\n')
    .map((l) => prefix + l)
    .join('\n');
}

/** Left-aligned columns two spaces apart; the last column is not padded. */
function columns(rows: readonly string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')).join('\n') + '\n';
}
