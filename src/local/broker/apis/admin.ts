// Topic administration and producer ids.
//
// CreateTopics v0–4     req: topics [name, num_partitions, replication_factor int16,
//                            assignments [partition_index, [broker_id]], configs [name, value]],
//                            timeout_ms, validate_only (v1+)
//                       resp: throttle (v2+), topics [name, error_code, error_message (v1+)]
// DeleteTopics v0–1     req: [name], timeout_ms; resp: throttle (v1+), responses [name, error_code]
// CreatePartitions v0–1 req: topics [name, count, assignments nullable [[broker_id]]], timeout_ms, validate_only
//                       resp: throttle, results [name, error_code, error_message]
// DescribeConfigs v0–2  req: resources [type int8, name, keys nullable [string]], include_synonyms (v1+)
//                       resp: throttle, results [error_code, error_message, type, name,
//                             configs [name, value, read_only, is_default (v0) | config_source (v1+),
//                             is_sensitive, synonyms (v1+) [name, value, source]]]
// InitProducerId v0–1   req: transactional_id, transaction_timeout_ms
//                       resp: throttle, error_code, producer_id int64, producer_epoch int16
import { ApiKey } from '../protocol/api-keys.js';
import { ErrorCode, KafkaProtocolError } from '../protocol/errors.js';
import type { ApiHandler, BrokerContext } from '../context.js';

const RESOURCE_TOPIC = 2;
const RESOURCE_BROKER = 4;
// DescribeConfigs config_source values.
const SOURCE_DYNAMIC_TOPIC = 1;
const SOURCE_DEFAULT = 5;

function errorOf(err: unknown): { code: number; message: string } {
  if (err instanceof KafkaProtocolError) return { code: err.errorCode, message: err.message };
  throw err;
}

export const createTopics: ApiHandler = {
  key: ApiKey.CreateTopics,
  minVersion: 0,
  maxVersion: 4,
  handle(ctx, req, r, w) {
    const v = req.apiVersion;
    const topics = r.array((rt) => ({
      name: rt.string(),
      partitions: rt.int32(),
      replicationFactor: rt.int16(),
      assignments: rt.array((ra) => ({ index: ra.int32(), brokers: ra.array((rb) => rb.int32()) })),
      configs: rt.array((rc) => ({ name: rc.string(), value: rc.nullableString() })),
    }));
    r.int32(); // timeout_ms
    const validateOnly = v >= 1 ? r.boolean() : false;
    const results = topics.map((t) => {
      try {
        createOne(ctx, t, validateOnly);
        return { name: t.name, code: ErrorCode.NONE as number, message: null as string | null };
      } catch (err) {
        return { name: t.name, ...errorOf(err) };
      }
    });
    if (v >= 2) w.int32(0);
    w.array(results, (wt, t) => {
      wt.string(t.name).int16(t.code);
      if (v >= 1) wt.nullableString(t.message);
    });
  },
};

function createOne(
  ctx: BrokerContext,
  t: { name: string; partitions: number; replicationFactor: number; assignments: { index: number; brokers: number[] }[]; configs: { name: string; value: string | null }[] },
  validateOnly: boolean,
): void {
  // A single node holds one replica. Production configs ask for 3; accepting them
  // lets users bring those configs to `slipway dev` unchanged (decision, see README).
  if (t.replicationFactor === 0 || t.replicationFactor < -1) {
    throw new KafkaProtocolError(ErrorCode.INVALID_REPLICATION_FACTOR, `replication factor ${t.replicationFactor} must be -1 or at least 1`);
  }
  const partitions = t.assignments.length > 0 ? t.assignments.length : t.partitions;
  const configs: Record<string, string> = {};
  for (const c of t.configs) {
    if (c.value !== null) configs[c.name] = c.value;
  }
  ctx.logs.createTopic(t.name, partitions, configs, validateOnly);
  if (!validateOnly) ctx.logger.info('topic created', { topic: t.name, partitions: ctx.logs.topic(t.name)?.partitions.length });
}

export const deleteTopics: ApiHandler = {
  key: ApiKey.DeleteTopics,
  minVersion: 0,
  maxVersion: 1,
  handle(ctx, req, r, w) {
    const names = r.array((rr) => rr.string());
    r.int32(); // timeout_ms
    const results = names.map((name) => {
      try {
        ctx.logs.deleteTopic(name);
        ctx.groups.deleteTopic(name);
        ctx.logger.info('topic deleted', { topic: name });
        return { name, code: ErrorCode.NONE as number };
      } catch (err) {
        return { name, code: errorOf(err).code };
      }
    });
    if (req.apiVersion >= 1) w.int32(0);
    w.array(results, (wt, t) => {
      wt.string(t.name).int16(t.code);
    });
  },
};

export const createPartitions: ApiHandler = {
  key: ApiKey.CreatePartitions,
  minVersion: 0,
  maxVersion: 1,
  handle(ctx, _req, r, w) {
    const topics = r.array((rt) => ({
      name: rt.string(),
      count: rt.int32(),
      assignments: rt.nullableArray((ra) => ra.array((rb) => rb.int32())),
    }));
    r.int32(); // timeout_ms
    const validateOnly = r.boolean();
    const results = topics.map((t) => {
      try {
        ctx.logs.createPartitions(t.name, t.count, validateOnly);
        return { name: t.name, code: ErrorCode.NONE as number, message: null as string | null };
      } catch (err) {
        return { name: t.name, ...errorOf(err) };
      }
    });
    w.int32(0);
    w.array(results, (wt, t) => {
      wt.string(t.name).int16(t.code).nullableString(t.message);
    });
  },
};

export const describeConfigs: ApiHandler = {
  key: ApiKey.DescribeConfigs,
  minVersion: 0,
  maxVersion: 2,
  handle(ctx, req, r, w) {
    const v = req.apiVersion;
    const resources = r.array((rr) => ({ type: rr.int8(), name: rr.string(), keys: rr.nullableArray((rk) => rk.string()) }));
    if (v >= 1) r.boolean(); // include_synonyms: none to report on a single node
    w.int32(0);
    w.array(resources, (wr, res) => {
      let entries: { name: string; value: string; isDefault: boolean }[] = [];
      let code: number = ErrorCode.NONE;
      let message: string | null = null;
      if (res.type === RESOURCE_TOPIC) {
        if (ctx.logs.topic(res.name)) entries = ctx.logs.describeConfigs(res.name);
        else {
          code = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
          message = `unknown topic ${res.name}`;
        }
      } else if (res.type === RESOURCE_BROKER) {
        entries = brokerConfigs(ctx);
      } else {
        code = ErrorCode.INVALID_REQUEST;
        message = `unsupported resource type ${res.type}`;
      }
      if (res.keys) entries = entries.filter((e) => res.keys!.includes(e.name));
      wr.int16(code).nullableString(message).int8(res.type).string(res.name);
      wr.array(entries, (wc, c) => {
        wc.string(c.name).nullableString(c.value).boolean(false);
        if (v === 0) wc.boolean(c.isDefault);
        else wc.int8(c.isDefault ? SOURCE_DEFAULT : SOURCE_DYNAMIC_TOPIC);
        wc.boolean(false);
        if (v >= 1) wc.array([], () => {});
      });
    });
  },
};

function brokerConfigs(ctx: BrokerContext): { name: string; value: string; isDefault: boolean }[] {
  const d = ctx.logs.defaults;
  return [
    { name: 'num.partitions', value: String(d.partitions), isDefault: true },
    { name: 'log.retention.ms', value: String(d.retentionMs), isDefault: true },
    { name: 'log.retention.bytes', value: String(d.retentionBytes), isDefault: true },
    { name: 'log.segment.bytes', value: String(d.segmentBytes), isDefault: true },
    { name: 'message.max.bytes', value: String(ctx.config.messageMaxBytes), isDefault: true },
    { name: 'auto.create.topics.enable', value: String(ctx.config.autoCreateTopics), isDefault: true },
  ];
}

export const initProducerId: ApiHandler = {
  key: ApiKey.InitProducerId,
  minVersion: 0,
  maxVersion: 1,
  handle(ctx, _req, r, w) {
    const transactionalId = r.nullableString();
    r.int32(); // transaction_timeout_ms
    w.int32(0);
    if (transactionalId !== null) {
      // Transactions are not offered; a transactional producer fails cleanly here.
      ctx.logger.warn('transactional producer refused', { transactionalId });
      w.int16(ErrorCode.INVALID_REQUEST).int64(-1).int16(-1);
      return;
    }
    w.int16(ErrorCode.NONE).int64(ctx.nextProducerId()).int16(0);
  },
};
