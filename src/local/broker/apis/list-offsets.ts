// ListOffsets v1–3.
// Request:  replica_id, isolation_level (v2+), topics [name, partitions [partition_index, timestamp int64]]
// Response: throttle_time_ms (v2+), topics [name, partitions [partition_index, error_code,
//           timestamp int64, offset int64]]
// timestamp −1 = latest (high watermark), −2 = earliest (log start), else the first offset
// whose record timestamp is ≥ it, or −1 when there is none.
import { ApiKey } from '../protocol/api-keys.js';
import { ErrorCode } from '../protocol/errors.js';
import type { ApiHandler } from '../context.js';
import { findRecordAtOrAfter } from '../log/record-batch.js';

const LATEST = -1;
const EARLIEST = -2;

export const listOffsets: ApiHandler = {
  key: ApiKey.ListOffsets,
  minVersion: 1,
  maxVersion: 3,
  handle(ctx, req, r, w) {
    const v = req.apiVersion;
    r.int32(); // replica_id
    if (v >= 2) r.int8(); // isolation_level
    const topics = r.array((rt) => ({
      name: rt.string(),
      partitions: rt.array((rp) => ({ index: rp.int32(), timestamp: rp.int64() })),
    }));
    if (v >= 2) w.int32(0);
    w.array(topics, (wt, t) => {
      wt.string(t.name);
      const topic = ctx.logs.topic(t.name);
      wt.array(t.partitions, (wp, p) => {
        const log = topic?.partitions[p.index];
        wp.int32(p.index);
        if (!log) {
          wp.int16(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION).int64(-1).int64(-1);
          return;
        }
        if (p.timestamp === LATEST) wp.int16(0).int64(-1).int64(log.logEndOffset);
        else if (p.timestamp === EARLIEST) wp.int16(0).int64(-1).int64(log.logStartOffset);
        else {
          const batchOffset = log.offsetForTimestamp(p.timestamp);
          const found = batchOffset < 0 ? null : findRecordAtOrAfter(log.read(batchOffset, 1), p.timestamp);
          wp.int16(0).int64(found?.timestamp ?? -1).int64(found?.offset ?? -1);
        }
      });
    });
  },
};
