// Metadata v1–6.
// Request:  topics nullable [name] (null = all, empty = none), allow_auto_topic_creation (v4+)
// Response: throttle_time_ms (v3+), brokers [node_id, host, port, rack (v1+)], cluster_id (v2+),
//           controller_id (v1+), topics [error_code, name, is_internal (v1+),
//           partitions [error_code, partition_index, leader_id, replica_nodes, isr_nodes, offline_replicas (v5+)]]
import { ApiKey } from '../protocol/api-keys.js';
import { ErrorCode, KafkaProtocolError } from '../protocol/errors.js';
import type { ApiHandler, BrokerContext } from '../context.js';
import type { Writer } from '../protocol/codec.js';

export const metadata: ApiHandler = {
  key: ApiKey.Metadata,
  minVersion: 1,
  maxVersion: 6,
  handle(ctx, req, r, w) {
    const v = req.apiVersion;
    const requested = r.nullableArray((rr) => rr.string());
    // Before v4 there is no flag and Kafka treats the request as allowing creation.
    const allowAutoCreate = v >= 4 ? r.boolean() : true;
    const { nodeId, host, port, clusterId } = ctx.config;

    if (v >= 3) w.int32(0);
    w.array([0], (ww) => {
      ww.int32(nodeId).string(host).int32(port).nullableString(null);
    });
    if (v >= 2) w.nullableString(clusterId);
    w.int32(nodeId);

    const names = requested ?? ctx.logs.topicNames();
    w.array(names, (ww, name) => writeTopic(ctx, ww, name, v, allowAutoCreate && requested !== null));
  },
};

function writeTopic(ctx: BrokerContext, w: Writer, name: string, v: number, allowAutoCreate: boolean): void {
  let topic = ctx.logs.topic(name);
  let errorCode: number = ErrorCode.NONE;
  if (!topic && allowAutoCreate && ctx.config.autoCreateTopics) {
    try {
      topic = ctx.logs.createTopic(name, -1, {});
      ctx.logger.info('topic auto-created', { topic: name, partitions: topic.partitions.length });
    } catch (err) {
      errorCode = err instanceof KafkaProtocolError ? err.errorCode : ErrorCode.UNKNOWN_SERVER_ERROR;
    }
  }
  if (!topic && errorCode === ErrorCode.NONE) errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
  const nodeId = ctx.config.nodeId;
  w.int16(errorCode).string(name).boolean(false);
  w.array(topic?.partitions ?? [], (ww, _p, i) => {
    ww.int16(0).int32(i).int32(nodeId);
    ww.array([nodeId], (www, n) => www.int32(n));
    ww.array([nodeId], (www, n) => www.int32(n));
    if (v >= 5) ww.array([], () => {});
  });
}
