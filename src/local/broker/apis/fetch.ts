// Fetch v4–11, with long-poll.
// Request:  replica_id, max_wait_ms, min_bytes, max_bytes, isolation_level, session_id (v7+),
//           session_epoch (v7+), topics [topic, partitions [partition, current_leader_epoch (v9+),
//           fetch_offset int64, log_start_offset int64 (v5+), partition_max_bytes]],
//           forgotten_topics_data (v7+) [topic, [partition]], rack_id (v11+)
// Response: throttle_time_ms, error_code (v7+), session_id (v7+), responses [topic, partitions
//           [partition_index, error_code, high_watermark, last_stable_offset, log_start_offset (v5+),
//           aborted_transactions nullable [producer_id, first_offset], preferred_read_replica (v11+, −1),
//           records nullable bytes]]
//
// No fetch sessions (session_id 0 means "full fetch every time", which both clients accept).
// The whole batch holding fetch_offset is returned; clients drop the records before it.
import { ApiKey } from '../protocol/api-keys.js';
import { ErrorCode, KafkaProtocolError } from '../protocol/errors.js';
import { partitionKey, type ApiHandler, type BrokerContext } from '../context.js';

interface FetchPartition {
  partition: number;
  fetchOffset: number;
  maxBytes: number;
}

interface PartitionData {
  partition: number;
  errorCode: number;
  highWatermark: number;
  logStartOffset: number;
  records: Buffer;
}

export const fetch: ApiHandler = {
  key: ApiKey.Fetch,
  minVersion: 4,
  maxVersion: 11,
  async handle(ctx, req, r, w) {
    const v = req.apiVersion;
    r.int32(); // replica_id
    const maxWaitMs = Math.max(0, r.int32());
    const minBytes = r.int32();
    const maxBytes = r.int32();
    r.int8(); // isolation_level: no transactions, so LSO = HW for both levels
    if (v >= 7) {
      r.int32(); // session_id
      r.int32(); // session_epoch
    }
    const topics = r.array((rt) => ({
      topic: rt.string(),
      partitions: rt.array((rp): FetchPartition => {
        const partition = rp.int32();
        if (v >= 9) rp.int32(); // current_leader_epoch
        const fetchOffset = rp.int64();
        if (v >= 5) rp.int64(); // log_start_offset (followers only)
        return { partition, fetchOffset, maxBytes: rp.int32() };
      }),
    }));
    // forgotten_topics_data and rack_id only matter with fetch sessions and replicas.

    const deadline = ctx.clock() + maxWaitMs;
    let result = readAll(ctx, topics, maxBytes);
    while (result.bytes < minBytes && !result.hasError) {
      const remaining = deadline - ctx.clock();
      if (remaining <= 0) break;
      const keys = topics.flatMap((t) => t.partitions.map((p) => partitionKey(t.topic, p.partition)));
      await ctx.waitForAppend(keys, remaining);
      result = readAll(ctx, topics, maxBytes);
    }

    w.int32(0); // throttle_time_ms
    if (v >= 7) w.int16(0).int32(0);
    w.array(result.topics, (wt, t) => {
      wt.string(t.topic);
      wt.array(t.partitions, (wp, p) => {
        wp.int32(p.partition).int16(p.errorCode).int64(p.highWatermark);
        wp.int64(p.highWatermark); // last_stable_offset
        if (v >= 5) wp.int64(p.logStartOffset);
        wp.int32(-1); // aborted_transactions: null
        if (v >= 11) wp.int32(-1); // preferred_read_replica: anything else makes librdkafka skip data
        wp.nullableBytes(p.records);
      });
    });
  },
};

function readAll(ctx: BrokerContext, topics: { topic: string; partitions: FetchPartition[] }[], maxBytes: number) {
  let bytes = 0;
  let hasError = false;
  const out = topics.map((t) => ({
    topic: t.topic,
    partitions: t.partitions.map((p): PartitionData => {
      const log = ctx.logs.topic(t.topic)?.partitions[p.partition];
      if (!log) {
        hasError = true;
        return { partition: p.partition, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, highWatermark: -1, logStartOffset: -1, records: Buffer.alloc(0) };
      }
      const base = { partition: p.partition, highWatermark: log.logEndOffset, logStartOffset: log.logStartOffset };
      // The response as a whole honours max_bytes, but the first non-empty partition always
      // gets at least one complete batch so a large record can never stall a consumer.
      const budget = bytes === 0 ? Math.max(1, p.maxBytes) : Math.min(p.maxBytes, maxBytes - bytes);
      if (budget <= 0) return { ...base, errorCode: ErrorCode.NONE, records: Buffer.alloc(0) };
      try {
        const records = log.read(p.fetchOffset, budget);
        bytes += records.length;
        return { ...base, errorCode: ErrorCode.NONE, records };
      } catch (err) {
        if (err instanceof KafkaProtocolError) {
          hasError = true;
          return { ...base, errorCode: err.errorCode, records: Buffer.alloc(0) };
        }
        throw err;
      }
    }),
  }));
  return { topics: out, bytes, hasError };
}
