// Drive kcat (librdkafka) as a child process: the independent, strict client.
import { spawn, type ChildProcess } from 'node:child_process';
import { requireCommand } from './env.js';

export interface KcatResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function kcatPath(): string {
  return requireCommand('kcat', 'kcat');
}

/** Run kcat to completion, feeding `input` on stdin; fails after timeoutMs. */
export function kcat(args: string[], opts: { input?: string | Buffer; timeoutMs?: number } = {}): Promise<KcatResult> {
  const bin = kcatPath();
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`kcat ${args.join(' ')} timed out after ${opts.timeoutMs ?? 30_000} ms; stderr: ${Buffer.concat(err).toString()}`));
    }, opts.timeoutMs ?? 30_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() });
    });
    child.stdin.end(opts.input ?? '');
  });
}

/** Start a long-running kcat (e.g. a -G group member); the caller kills it. */
export function spawnKcat(args: string[]): ChildProcess & { output: () => string; errors: () => string } {
  const child = spawn(kcatPath(), args, { stdio: ['ignore', 'pipe', 'pipe'] }) as ChildProcess & { output: () => string; errors: () => string };
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout!.on('data', (d: Buffer) => out.push(d));
  child.stderr!.on('data', (d: Buffer) => err.push(d));
  child.output = () => Buffer.concat(out).toString();
  child.errors = () => Buffer.concat(err).toString();
  return child;
}
