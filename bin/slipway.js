#!/usr/bin/env node
// The `slipway` command. Runs the TypeScript sources through tsx's loader so a
// fresh clone needs no build step.
import { register } from 'tsx/esm/api';

// The AWS SDK warns on every run under Node 20 (the engine Slipway targets) that
// its 2027 releases will need Node 22: nothing a user of the CLI can act on. An
// explicit setting of the variable is kept. (dev.ts sets it for the functions.)
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
register();
await import('../src/cli/main.ts');
