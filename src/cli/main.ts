// Entry point of the `slipway` command (bin/slipway.js loads it through tsx).
// Exits explicitly once the command is done, so a stray handle cannot keep a
// finished command alive.
import { runCli } from './cli.js';

try {
  process.exit(await runCli(process.argv.slice(2)));
} catch (err) {
  process.stderr.write(`slipway: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
}
