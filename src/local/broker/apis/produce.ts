// Produce v3–7 (RecordBatch v2 only).
// Request:  transactional_id, acks int16, timeout_ms int32,
//           topics [name, partitions [index int32, records nullable bytes]]
// Response: responses [name, partitions [index, error_code, base_offset int64,
//           log_append_time_ms int64 (v2+), log_start_offset int64 (v5+)]], throttle_time_ms (LAST)
//
// Batches are stored byte-for-byte; the log checks CRC, sequence and epoch.
// acks=0 gets no response at all, as the protocol says.
import { ApiKey } from '../protocol/api-keys.js';
import { ErrorCode, KafkaProtocolError } from '../protocol/errors.js';
import { NO_RESPONSE, type ApiHandler, type BrokerContext } from '../context.js';
import { isTransactional, splitBatches } from '../log/record-batch.js';

interface PartitionResult {
  index: number;
  errorCode: number;
  baseOffset: number;
  logStartOffset: number;
}

export const produce: ApiHandler = {
  key: ApiKey.Produce,
  minVersion: 3,
  maxVersion: 7,
  handle(ctx, req, r, w) {
    const v = req.apiVersion;
    r.nullableString(); // transactional_id: transactions are not offered (InitProducerId refuses them)
    const acks = r.int16();
    r.int32(); // timeout_ms: appends are synchronous
    const topics = r.array((rt) => ({
      name: rt.string(),
      partitions: rt.array((rp) => ({ index: rp.int32(), records: rp.nullableBytes() })),
    }));

    const results = topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p): PartitionResult => {
        if (acks !== 0 && acks !== 1 && acks !== -1) return failed(p.index, ErrorCode.INVALID_REQUIRED_ACKS);
        return appendPartition(ctx, t.name, p.index, p.records);
      }),
    }));
    if (acks === 0) return NO_RESPONSE;

    w.array(results, (wt, t) => {
      wt.string(t.name);
      wt.array(t.partitions, (wp, p) => {
        wp.int32(p.index).int16(p.errorCode).int64(p.baseOffset);
        wp.int64(-1); // log_append_time: CreateTime topics
        if (v >= 5) wp.int64(p.logStartOffset);
      });
    });
    w.int32(0); // throttle_time_ms comes last in Produce
  },
};

function failed(index: number, errorCode: number): PartitionResult {
  return { index, errorCode, baseOffset: -1, logStartOffset: -1 };
}

function appendPartition(ctx: BrokerContext, topicName: string, index: number, records: Buffer | null): PartitionResult {
  const topic = ctx.logs.topic(topicName);
  const log = topic?.partitions[index];
  if (!topic || !log) return failed(index, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  try {
    if (!records || records.length === 0) throw new KafkaProtocolError(ErrorCode.CORRUPT_MESSAGE, 'empty records');
    const maxBytes = Number(topic.configs['max.message.bytes'] ?? ctx.config.messageMaxBytes);
    const batches = splitBatches(records);
    for (const b of batches) {
      if (b.bytes.length > maxBytes) {
        throw new KafkaProtocolError(ErrorCode.MESSAGE_TOO_LARGE, `batch of ${b.bytes.length} bytes exceeds max.message.bytes ${maxBytes}`);
      }
      if (isTransactional(b.header)) {
        throw new KafkaProtocolError(ErrorCode.INVALID_REQUEST, 'transactional batches are not supported by the embedded broker');
      }
    }
    let first = -1;
    for (const b of batches) {
      const res = log.append(b.bytes, b.header);
      if (first < 0) first = res.baseOffset;
    }
    ctx.notifyAppend(topicName, index);
    return { index, errorCode: ErrorCode.NONE, baseOffset: first, logStartOffset: log.logStartOffset };
  } catch (err) {
    if (err instanceof KafkaProtocolError) {
      ctx.logger.warn('produce rejected', { topic: topicName, partition: index, errorCode: err.errorCode, reason: err.message });
      return failed(index, err.errorCode);
    }
    throw err;
  }
}
