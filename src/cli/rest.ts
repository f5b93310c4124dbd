// What the commands that talk to the REST API share: the --url flag, one
// small client over fetch, and how a failure is shown. A failure is one line
// on stderr and exit code 1, never a stack trace: the server's own `message`
// for an error answer, the URL for a server that cannot be reached.
import { ConfigFormError } from './config-forms.js';
import { EXIT_FAILURE, EXIT_OK, UsageError, parseCommandLine } from './usage.js';

export const DEFAULT_API_URL = 'http://127.0.0.1:8083';
/** How long one request may take before the command gives up. */
const REQUEST_TIMEOUT_MS = 60_000;

/** The flags every REST command takes, for node:util parseArgs. */
export const REST_OPTIONS = {
  url: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const URL_HELP = `  --url URL       the Slipway (Kafka Connect) REST API; default SLIPWAY_URL, else ${DEFAULT_API_URL}
  -h, --help      this text`;

/** A command that could not do its job; shown as `slipway: <message>`, exit code 1. */
export class CommandFailure extends Error {
  override readonly name: string = 'CommandFailure';
}

/** An error answer of the REST API: {"error_code", "message"}. */
export class ServerError extends CommandFailure {
  override readonly name = 'ServerError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface RestResponse {
  status: number;
  /** The parsed JSON body; undefined for an empty one (204, 202). */
  body: unknown;
}

export class RestClient {
  constructor(readonly baseUrl: string) {}

  async request(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<RestResponse> {
    const url = this.baseUrl + path;
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (err) {
      throw new CommandFailure(`cannot reach the Slipway REST API at ${this.baseUrl} (${networkReason(err)}); is \`slipway dev\` running? --url or SLIPWAY_URL names another`);
    }
    let text: string;
    try {
      text = await res.text();
    } catch (err) {
      throw new CommandFailure(`the REST API at ${this.baseUrl} broke off its answer to ${method} ${path} (${networkReason(err)})`);
    }
    let parsed: unknown;
    if (text.trim() !== '') {
      try {
        parsed = JSON.parse(text);
      } catch {
        throw new CommandFailure(`${method} ${url} answered HTTP ${res.status} with something other than JSON; is ${this.baseUrl} a Slipway or Kafka Connect REST API?`);
      }
    }
    if (res.status >= 400) throw new ServerError(res.status, serverMessage(parsed) ?? `${method} ${path} failed: HTTP ${res.status} ${res.statusText}`);
    return { status: res.status, body: parsed };
  }
}

/** The path of a connector (or one of its sub-resources); the name is one path segment. */
export function connectorPath(name: string, suffix = ''): string {
  return `/connectors/${encodeURIComponent(name)}${suffix}`;
}

/** The client for --url (else SLIPWAY_URL, else the default); a URL that is not http(s) is a usage error. */
export function restClient(flag: string | undefined, usage: string, env: NodeJS.ProcessEnv = process.env): RestClient {
  const raw = flag ?? (env.SLIPWAY_URL || DEFAULT_API_URL);
  const from = flag === undefined && env.SLIPWAY_URL ? 'SLIPWAY_URL' : '--url';
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`${from} must be a URL such as ${DEFAULT_API_URL}, got "${raw}"`, usage);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`${from} must be an http:// or https:// URL, got "${raw}"`, usage);
  return new RestClient(url.href.replace(/\/+$/, ''));
}

/** Exactly one positional argument (NAME, FUNCTION). */
export function onePositional(positionals: readonly string[], what: string, usage: string): string {
  if (positionals.length === 0) throw new UsageError(`${what} is missing`, usage);
  if (positionals.length > 1) throw new UsageError(`one ${what} only, got ${positionals.length}: ${positionals.join(' ')}`, usage);
  return positionals[0]!;
}

/** The flag values of a command line parsed with `options`. */
export type CommandValues<O extends typeof REST_OPTIONS> = NonNullable<ReturnType<typeof parseCommandLine<O>>>['values'];

/**
 * The run() of a command about one connector, `slipway <command> NAME [flags]
 * [--url URL]`: parses the command line, takes NAME and the client for --url,
 * then runs `act`, whose expected failures are reported as reportFailures does.
 */
export function connectorCommandRun<O extends typeof REST_OPTIONS>(
  usage: string,
  options: O,
  act: (client: RestClient, name: string, values: CommandValues<O>) => Promise<void>,
): (argv: string[]) => Promise<number> {
  return async (argv) => {
    const parsed = parseCommandLine(usage, argv, options);
    if (!parsed) return EXIT_OK;
    const { values, positionals } = parsed;
    const name = onePositional(positionals, 'NAME', usage);
    const client = restClient((values as { url?: string }).url, usage);
    return reportFailures(async () => {
      await act(client, name, values);
      return EXIT_OK;
    });
  };
}

/** Runs a command body, turning its expected failures into one line on stderr and exit code 1. */
export async function reportFailures(run: () => Promise<number>): Promise<number> {
  try {
    return await run();
  } catch (err) {
    if (!(err instanceof CommandFailure || err instanceof ConfigFormError)) throw err;
    process.stderr.write(`slipway: ${err.message}\n`);
    return EXIT_FAILURE;
  }
}

function serverMessage(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const message = (body as { message?: unknown }).message;
  return typeof message === 'string' && message !== '' ? message : undefined;
}

/** Why a request got no answer: fetch hides the system error in `cause` (an AggregateError when several addresses were tried). */
function networkReason(err: unknown): string {
  if (err instanceof Error && err.name === 'TimeoutError') return `no answer within ${REQUEST_TIMEOUT_MS / 1000} s`;
  let cause: unknown = err instanceof Error && err.cause !== undefined ? err.cause : err;
  if (cause instanceof AggregateError && cause.errors.length > 0) cause = cause.errors[0];
  const code = (cause as { code?: unknown } | undefined)?.code;
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ENOTFOUND') return 'unknown host';
  if (typeof code === 'string') return code;
  return cause instanceof Error ? cause.message : String(cause);
}
