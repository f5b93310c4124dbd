// The `slipway` command line: a table of subcommands, each parsing its own
// flags. Later commands (dev, apply, status, …) are one more entry in COMMANDS.
import { SLIPWAY_VERSION } from '../version.js';
import { applyCommand } from './apply.js';
import { brokerCommand } from './broker.js';
import { deleteCommand } from './delete.js';
import { demoCommand } from './demo.js';
import { devCommand } from './dev.js';
import { invokeCommand } from './invoke.js';
import { offsetsCommand } from './offsets.js';
import { pauseCommand } from './pause.js';
import { restartCommand } from './restart.js';
import { resumeCommand } from './resume.js';
import { statusCommand } from './status.js';
import { stopCommand } from './stop.js';
import { EXIT_OK, EXIT_USAGE, UsageError, type Command } from './usage.js';

const COMMANDS: readonly Command[] = [
  devCommand,
  demoCommand,
  brokerCommand,
  applyCommand,
  statusCommand,
  deleteCommand,
  pauseCommand,
  resumeCommand,
  stopCommand,
  restartCommand,
  offsetsCommand,
  invokeCommand,
];

function help(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return `Usage: slipway <command> [options]

Kafka Connect, serverless: connectors as short-lived AWS Lambda invocations.

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

Options:
  -h, --help     this text; \`slipway <command> --help\` for a command's options
  -v, --version  the version
`;
}

function version(): string {
  return SLIPWAY_VERSION;
}

/** Runs one invocation of the CLI; resolves to the process exit code. */
export async function runCli(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  try {
    if (first === undefined) throw new UsageError('no command given', help());
    if (first === '-h' || first === '--help') {
      process.stdout.write(help());
      return EXIT_OK;
    }
    if (first === 'help') {
      const command = rest[0] === undefined ? undefined : find(rest[0]);
      process.stdout.write(command ? command.usage : help());
      return EXIT_OK;
    }
    if (first === '-v' || first === '--version') {
      process.stdout.write(`${version()}\n`);
      return EXIT_OK;
    }
    const command = find(first);
    if (!command) throw new UsageError(first.startsWith('-') ? `unknown option "${first}"` : `unknown command "${first}"`, help());
    return await command.run(rest);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`slipway: ${err.message}\n\n${err.usage ?? help()}`);
    return EXIT_USAGE;
  }
}

function find(name: string): Command | undefined {
  return COMMANDS.find((c) => c.name === name);
}
