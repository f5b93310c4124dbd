// `slipway invoke FUNCTION -e EVENT.json`: one RequestResponse invocation
// through the Lambda Invoke API (@aws-sdk/client-lambda), against AWS,
// LocalStack or `slipway dev`'s Lambda emulator alike; only the endpoint
// differs. The function's answer goes to stdout as it came; a function error
// (FunctionError Handled/Unhandled) also exits 1, as `sam local invoke` users
// expect a failed handler to fail the command.
import fs from 'node:fs/promises';
import { jsonErrorAt, readStdin } from './config-forms.js';
import { CommandFailure, onePositional, reportFailures } from './rest.js';
import { EXIT_FAILURE, EXIT_OK, UsageError, parseCommandLine, type Command } from './usage.js';

const DEFAULT_REGION = 'us-east-1';

const USAGE = `Usage: slipway invoke FUNCTION [-e EVENT.json] [--endpoint URL] [--log]

Invokes FUNCTION once (RequestResponse) with the event and prints what it
returned. Exits 1 when the function fails. In \`slipway dev\` the functions are
slipway-worker, slipway-coordinator and slipway-sink, also named worker,
coordinator and sink (with :QUALIFIER, e.g. an alias); events/ holds a sample
event for each.

Options:
  -e, --event FILE   the event, a JSON file; - reads standard input (default: {})
  --endpoint URL     the Lambda API; default AWS_ENDPOINT_URL_LAMBDA, else
                     AWS_ENDPOINT_URL, else AWS itself
  --log              print the tail of the invocation's log on stderr
  -h, --help         this text

Environment: AWS_REGION (default ${DEFAULT_REGION}) and the AWS SDK's credentials. Against
a local endpoint without credentials in the environment, dummy ones are used.
`;

const OPTIONS = {
  event: { type: 'string', short: 'e' },
  endpoint: { type: 'string' },
  log: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const invokeCommand: Command = {
  name: 'invoke',
  summary: 'invoke a function once with an event, through the Lambda Invoke API',
  usage: USAGE,
  async run(argv) {
    const parsed = parseCommandLine(USAGE, argv, OPTIONS);
    if (!parsed) return EXIT_OK;
    const { values, positionals } = parsed;
    const functionName = slipwayFunctionName(onePositional(positionals, 'FUNCTION', USAGE));
    const env = process.env;
    const endpoint = values.endpoint ?? (env.AWS_ENDPOINT_URL_LAMBDA || env.AWS_ENDPOINT_URL || undefined);
    if (endpoint !== undefined && !/^https?:\/\/[^/]/.test(endpoint)) throw new UsageError(`the Lambda endpoint must be an http:// or https:// URL, got "${endpoint}"`, USAGE);

    return reportFailures(async () => {
      const payload = await readEvent(values.event);
      // Loaded only here: the SDK is the heaviest import of the CLI.
      const { LambdaClient, InvokeCommand } = await import('@aws-sdk/client-lambda');
      const lambda = new LambdaClient({
        region: env.AWS_REGION || env.AWS_DEFAULT_REGION || DEFAULT_REGION,
        ...(endpoint ? { endpoint } : {}),
        // Local emulators only check that a request is signed.
        ...(endpoint && !(env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) && !env.AWS_PROFILE ? { credentials: { accessKeyId: 'slipway-local', secretAccessKey: 'slipway-local' } } : {}),
      });
      try {
        const out = await lambda
          .send(new InvokeCommand({ FunctionName: functionName, InvocationType: 'RequestResponse', Payload: payload, LogType: values.log ? 'Tail' : 'None' }))
          .catch((err: unknown) => {
            const e = err as Error;
            throw new CommandFailure(`could not invoke ${functionName}${endpoint ? ` at ${endpoint}` : ''}: ${e.name && e.name !== 'Error' ? `${e.name}: ` : ''}${e.message}`);
          });
        if (out.LogResult) process.stderr.write(Buffer.from(out.LogResult, 'base64').toString('utf8'));
        const text = out.Payload ? Buffer.from(out.Payload).toString('utf8') : '';
        process.stdout.write(text.endsWith('\n') || text === '' ? text : `${text}\n`);
        if (out.FunctionError) {
          process.stderr.write(`slipway: ${functionName} failed (${out.FunctionError})${errorSummary(text)}\n`);
          return EXIT_FAILURE;
        }
        return EXIT_OK;
      } finally {
        lambda.destroy();
      }
    });
  },
};

/** Slipway's functions by their short names (`sink`, `sink:ALIAS`) → `slipway-sink[:ALIAS]`, as `slipway dev` and a stack named slipway call them. */
function slipwayFunctionName(name: string): string {
  const [fn, ...qualifier] = name.split(':');
  return SHORT_NAMES.has(fn!) ? [`slipway-${fn}`, ...qualifier].join(':') : name;
}

const SHORT_NAMES = new Set(['worker', 'coordinator', 'sink']);

/** The event's bytes, checked to be JSON; no -e is an empty object, as with `sam local invoke`. */
async function readEvent(file: string | undefined): Promise<Uint8Array> {
  if (file === undefined) return Buffer.from('{}');
  const shown = file === '-' ? '<stdin>' : file;
  let text: string;
  try {
    text = file === '-' ? await readStdin() : await fs.readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CommandFailure(`${shown}: cannot read the event: ${code === 'ENOENT' ? 'no such file' : (code ?? (err as Error).message)}`);
  }
  try {
    JSON.parse(text);
  } catch (err) {
    throw new CommandFailure(`${shown}: the event is not valid JSON: ${jsonErrorAt(text, (err as Error).message)}`);
  }
  return Buffer.from(text, 'utf8');
}

/** ": errorType: errorMessage" of Lambda's error payload, when it is one. */
function errorSummary(payload: string): string {
  try {
    const body = JSON.parse(payload) as { errorType?: unknown; errorMessage?: unknown };
    if (typeof body.errorMessage === 'string') return `: ${typeof body.errorType === 'string' ? `${body.errorType}: ` : ''}${body.errorMessage.split('\n')[0]}`;
  } catch {
    // not JSON: the payload above says it all
  }
  return '';
}
