// Runtime settings, read from the environment once per execution environment,
// through typed getters with defaults (template.yaml and `slipway dev` set them).
import os from 'node:os';
import { defaultCoordinatorSettings, type CoordinatorSettings } from './coordinator.js';
import { defaultWorkerSettings, type WorkerSettings } from './worker.js';

function intFrom(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`environment variable ${name} must be a non-negative integer, got ${JSON.stringify(raw)}`);
  return value;
}

export function workerSettingsFrom(env: NodeJS.ProcessEnv = process.env): WorkerSettings {
  const d = defaultWorkerSettings;
  const leaseTtlMs = intFrom(env, 'SLIPWAY_LEASE_TTL_MS', d.leaseTtlMs);
  return {
    leaseTtlMs,
    renewIntervalMs: intFrom(env, 'SLIPWAY_LEASE_RENEW_MS', Math.min(d.renewIntervalMs, Math.floor(leaseTtlMs / 3))),
    safetyBufferMs: intFrom(env, 'SLIPWAY_SAFETY_BUFFER_MS', d.safetyBufferMs),
    offsetFlushIntervalMs: intFrom(env, 'SLIPWAY_OFFSET_FLUSH_INTERVAL_MS', d.offsetFlushIntervalMs),
    handoffWaitMs: intFrom(env, 'SLIPWAY_HANDOFF_WAIT_MS', d.handoffWaitMs),
    handoffLeadMs: intFrom(env, 'SLIPWAY_HANDOFF_LEAD_MS', d.handoffLeadMs),
  };
}

export function coordinatorSettingsFrom(env: NodeJS.ProcessEnv = process.env): CoordinatorSettings {
  const d = defaultCoordinatorSettings;
  return {
    launchGraceMs: intFrom(env, 'SLIPWAY_LAUNCH_GRACE_MS', d.launchGraceMs),
    autoRestartInitialDelayMs: intFrom(env, 'SLIPWAY_AUTO_RESTART_DELAY_MS', d.autoRestartInitialDelayMs),
    autoRestartMaxDelayMs: intFrom(env, 'SLIPWAY_AUTO_RESTART_MAX_DELAY_MS', d.autoRestartMaxDelayMs),
  };
}

/** `<hostname>:<pid>` of the process running the invocation, so an operator can find it. */
export function localWorkerId(): string {
  return `${os.hostname()}:${process.pid}`;
}

export const functionNames = (env: NodeJS.ProcessEnv = process.env) => ({
  worker: env.SLIPWAY_WORKER_FUNCTION ?? 'slipway-worker',
  coordinator: env.SLIPWAY_COORDINATOR_FUNCTION ?? 'slipway-coordinator',
  sink: env.SLIPWAY_SINK_FUNCTION ?? 'slipway-sink',
});

/** The MSK cluster the bootstrap servers belong to, if any ('' or unset: a self-managed cluster). */
export const mskClusterArn = (env: NodeJS.ProcessEnv = process.env): string | undefined => env.SLIPWAY_MSK_CLUSTER_ARN?.trim() || undefined;
