#!/usr/bin/env node
// `npm run bench -- <name> [args]`: runs bench/<name>.ts with tsx after the
// usual set-up. Benchmarks are not part of `npm test`.
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, run, setup } from './setup.mjs';

const dir = path.join(ROOT, 'bench');
const names = fs.existsSync(dir)
  ? fs.readdirSync(dir).filter((f) => f.endsWith('.ts')).map((f) => f.slice(0, -3)).sort()
  : [];
const [name, ...args] = process.argv.slice(2);

if (!name || !names.includes(name)) {
  if (name) process.stderr.write(`bench: unknown benchmark "${name}"\n`);
  process.stderr.write(`Usage: npm run bench -- <name> [args]\nAvailable: ${names.length ? names.join(', ') : '(none)'}\n`);
  process.exit(2);
}

// The AWS SDK's notice that its 2027 releases need Node 22 (see bin/slipway.js).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const code = setup();
process.exit(code !== 0 ? code : run(process.execPath, ['--import', 'tsx', path.join(dir, `${name}.ts`), ...args]));
