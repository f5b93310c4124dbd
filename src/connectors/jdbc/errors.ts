// Errors of the JDBC sink that belong to one record: the task reports such a
// record to the dead letter queue (errors.tolerance=all) and writes the rest.
import { DataError } from '../../connect/errors.js';
import type { SinkRecord } from '../../connect/record.js';

/** `topic "t" partition 0 offset 42`: how every record-level error names its record. */
export function recordRef(r: SinkRecord): string {
  return `topic ${JSON.stringify(r.topic)} partition ${r.kafkaPartition} offset ${r.kafkaOffset}`;
}

/** One record cannot be written (its data, its schema, or what the server said of it). The message names the record. */
export class RecordWriteError extends DataError {
  readonly record: SinkRecord;

  constructor(record: SinkRecord, message: string, opts: { path?: string; cause?: unknown } = {}) {
    super(`Cannot write the record at ${recordRef(record)}: ${message}`, opts);
    this.name = 'RecordWriteError';
    this.record = record;
  }
}
