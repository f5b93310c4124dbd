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

/** One of Lambda's SourceAccessConfigurations of a Kafka event source mapping. */
export interface KafkaSourceAccess {
  Type: KafkaAuthType | 'SERVER_ROOT_CA_CERTIFICATE' | 'VPC_SUBNET' | 'VPC_SECURITY_GROUP';
  URI: string;
}

const KAFKA_AUTH_TYPES = ['BASIC_AUTH', 'SASL_SCRAM_256_AUTH', 'SASL_SCRAM_512_AUTH', 'CLIENT_CERTIFICATE_TLS_AUTH'] as const;
type KafkaAuthType = (typeof KAFKA_AUTH_TYPES)[number];
const listFrom = (raw: string | undefined): string[] => (raw ?? '').split(',').map((v) => v.trim()).filter((v) => v !== '');

/**
 * How the sink connectors' event source mappings reach and authenticate to the
 * cluster (Lambda's SourceAccessConfigurations): SLIPWAY_KAFKA_AUTH (NONE or
 * one of Lambda's auth types) with SLIPWAY_KAFKA_AUTH_SECRET_ARN (the Secrets
 * Manager secret holding the credentials or client certificate),
 * SLIPWAY_KAFKA_ROOT_CA_SECRET_ARN (a private CA's certificate), and
 * SLIPWAY_KAFKA_VPC_SUBNETS / SLIPWAY_KAFKA_VPC_SECURITY_GROUPS (comma lists:
 * where Lambda's pollers run to reach brokers inside a VPC). Unset: none, a
 * cluster Lambda reaches in plaintext without credentials (or MSK with IAM).
 */
export function kafkaSourceAccess(env: NodeJS.ProcessEnv = process.env): KafkaSourceAccess[] {
  const out: KafkaSourceAccess[] = [];
  const auth = env.SLIPWAY_KAFKA_AUTH?.trim() ?? '';
  const secret = env.SLIPWAY_KAFKA_AUTH_SECRET_ARN?.trim() ?? '';
  if (auth !== '' && auth !== 'NONE') {
    if (!(KAFKA_AUTH_TYPES as readonly string[]).includes(auth)) throw new Error(`environment variable SLIPWAY_KAFKA_AUTH must be NONE or one of ${KAFKA_AUTH_TYPES.join(', ')}, got ${JSON.stringify(auth)}`);
    if (!secret.startsWith('arn:')) throw new Error(`SLIPWAY_KAFKA_AUTH=${auth} needs SLIPWAY_KAFKA_AUTH_SECRET_ARN, the ARN of the Secrets Manager secret with the credentials`);
    out.push({ Type: auth as KafkaAuthType, URI: secret });
  }
  const rootCa = env.SLIPWAY_KAFKA_ROOT_CA_SECRET_ARN?.trim() ?? '';
  if (rootCa !== '') out.push({ Type: 'SERVER_ROOT_CA_CERTIFICATE', URI: rootCa });
  for (const subnet of listFrom(env.SLIPWAY_KAFKA_VPC_SUBNETS)) out.push({ Type: 'VPC_SUBNET', URI: `subnet:${subnet}` });
  for (const group of listFrom(env.SLIPWAY_KAFKA_VPC_SECURITY_GROUPS)) out.push({ Type: 'VPC_SECURITY_GROUP', URI: `security_group:${group}` });
  return out;
}

