// Idempotent producer state of one partition (KIP-98): per producerId the
// current epoch, the last sequence written and the last five batches, so a
// retried batch is answered with its original offset instead of written twice.
// Rebuilt from the batch headers of the log on open; nothing else is stored.
//
// Choice: a producer with no state here (new, or its batches were all removed
// by retention before a restart) is accepted at any sequence, as Kafka does
// since it stopped answering UNKNOWN_PRODUCER_ID for expired producers.

import { ErrorCode, KafkaProtocolError } from '../protocol/errors.js';
import { isControl, type BatchHeader } from './record-batch.js';

/** Batches remembered per producer; clients keep at most 5 in flight. */
export const PRODUCER_BATCH_CACHE = 5;
/** Sequences run 0..2^31-1 and then wrap to 0. */
export const MAX_SEQUENCE = 0x7fff_ffff;

interface CachedBatch {
  firstSeq: number;
  lastSeq: number;
  baseOffset: number;
}

interface ProducerEntry {
  epoch: number;
  lastSeq: number;
  batches: CachedBatch[];
}

/** The sequence `delta` steps after `seq`, wrapping past 2^31-1 to 0. */
export function sequenceAfter(seq: number, delta: number): number {
  const next = seq + delta;
  return next > MAX_SEQUENCE ? next - MAX_SEQUENCE - 1 : next;
}

/** Batches that carry producer state: idempotent data batches. */
function tracked(h: BatchHeader): boolean {
  return h.producerId >= 0 && h.baseSequence >= 0 && !isControl(h);
}

export class ProducerStateTable {
  private readonly producers = new Map<number, ProducerEntry>();

  /**
   * Checks a batch before it is appended. Returns the base offset of the
   * identical batch already written (a retry), or -1 if the batch is new and
   * in order. Throws INVALID_PRODUCER_EPOCH or OUT_OF_ORDER_SEQUENCE_NUMBER.
   */
  check(h: BatchHeader): number {
    if (!tracked(h)) return -1;
    const entry = this.producers.get(h.producerId);
    if (entry === undefined) return -1;
    const firstSeq = h.baseSequence;
    const lastSeq = sequenceAfter(firstSeq, h.lastOffsetDelta);
    if (h.producerEpoch === entry.epoch) {
      for (const b of entry.batches) {
        if (b.firstSeq === firstSeq && b.lastSeq === lastSeq) return b.baseOffset;
      }
      const expected = sequenceAfter(entry.lastSeq, 1);
      if (firstSeq !== expected) {
        throw new KafkaProtocolError(
          ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
          `producer ${h.producerId} epoch ${h.producerEpoch}: sequence ${firstSeq}, expected ${expected}`,
        );
      }
      return -1;
    }
    if (h.producerEpoch < entry.epoch) {
      throw new KafkaProtocolError(
        ErrorCode.INVALID_PRODUCER_EPOCH,
        `producer ${h.producerId}: epoch ${h.producerEpoch} is older than the current epoch ${entry.epoch}`,
      );
    }
    if (firstSeq !== 0) {
      throw new KafkaProtocolError(
        ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
        `producer ${h.producerId}: new epoch ${h.producerEpoch} must start at sequence 0, not ${firstSeq}`,
      );
    }
    return -1;
  }

  /** Records a batch that was appended at `baseOffset` (also used when replaying the log). */
  record(h: BatchHeader, baseOffset: number): void {
    if (!tracked(h)) return;
    let entry = this.producers.get(h.producerId);
    if (entry === undefined || entry.epoch !== h.producerEpoch) {
      entry = { epoch: h.producerEpoch, lastSeq: -1, batches: [] };
      this.producers.set(h.producerId, entry);
    }
    const lastSeq = sequenceAfter(h.baseSequence, h.lastOffsetDelta);
    entry.batches.push({ firstSeq: h.baseSequence, lastSeq, baseOffset });
    if (entry.batches.length > PRODUCER_BATCH_CACHE) entry.batches.shift();
    entry.lastSeq = lastSeq;
  }

  /** Epoch and last sequence of a producer, for diagnostics and tests. */
  describe(producerId: number): { epoch: number; lastSequence: number } | undefined {
    const entry = this.producers.get(producerId);
    return entry && { epoch: entry.epoch, lastSequence: entry.lastSeq };
  }
}
