// The retry / tolerate / fail decision (RetryWithToleranceOperator) on its own,
// with a fake clock and sleep: Kafka Connect's defaults, which stages may be
// tolerated, exponential backoff capped by errors.retry.delay.max.ms, the
// invocation's deadline ending retries, the log lines and the DLQ context
// headers with their exact names.
import { describe, expect, it } from 'vitest';
import { ConfigError, ConnectError, DataError, RetriableError } from '../../src/connect/errors.js';
import { TransformError } from '../../src/connect/transforms/chain.js';
import type { Logger } from '../../src/logging.js';
import { contextHeaders, errorHandlingConfig, RetryWithToleranceOperator, TOLERATED, whereIs, type ErrorContext, type ErrorHandlerDeps } from '../../src/runtime/error-handling.js';

interface Line {
  level: string;
  msg: string;
  fields?: Record<string, unknown>;
}

function recordingLogger(lines: Line[]): Logger {
  const at = (level: string) => (msg: string, fields?: Record<string, unknown>) => void lines.push({ level, msg, fields });
  const logger: Logger = { level: 'debug', debug: () => {}, info: at('info'), warn: at('warn'), error: at('error'), child: () => logger };
  return logger;
}

function operator(config: Record<string, string>, over: Partial<ErrorHandlerDeps> = {}) {
  let now = 1_000;
  const sleeps: number[] = [];
  const lines: Line[] = [];
  const op = new RetryWithToleranceOperator(errorHandlingConfig(config), {
    connector: 'orders-sink',
    task: 0,
    logger: recordingLogger(lines),
    clock: () => now,
    deadline: () => Infinity,
    scrub: (t) => t.split('hunter2').join('[hidden]'),
    dlq: null,
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
    },
    ...over,
  });
  return { op, sleeps, lines, advance: (ms: number) => (now += ms), now: () => now };
}

const ctx = (stage: ErrorContext['stage'] = 'VALUE_CONVERTER'): ErrorContext => ({
  stage,
  className: 'org.apache.kafka.connect.json.JsonConverter',
  record: { topic: 'orders', partition: 0, offset: 7, bytes: () => ({ key: Buffer.from('k1'), value: Buffer.from('{"n": 1'), headers: [] }) },
});

const boom = (err: unknown) => () => {
  throw err;
};

describe('errorHandlingConfig', () => {
  it("has Kafka Connect's defaults and refuses a tolerance other than none|all, naming errors.tolerance", () => {
    expect(errorHandlingConfig({})).toEqual({ tolerance: 'none', retryTimeoutMs: 0, retryDelayMaxMs: 60000, logEnable: false, logIncludeMessages: false, dlqTopic: '', dlqReplicationFactor: -1, dlqContextHeaders: false });
    expect(errorHandlingConfig({ 'errors.tolerance': 'ALL', 'errors.deadletterqueue.topic.name': ' dlq ' })).toMatchObject({ tolerance: 'all', dlqTopic: 'dlq' });
    expect(() => errorHandlingConfig({ 'errors.tolerance': 'some' })).toThrow(ConfigError);
    expect(() => errorHandlingConfig({ 'errors.tolerance': 'some' })).toThrow(/errors\.tolerance/);
  });
});

describe('RetryWithToleranceOperator', () => {
  it('returns the value at once (no promise) when the operation succeeds', () => {
    const { op } = operator({});
    expect(op.execute(() => ctx(), () => 42)).toBe(42);
  });

  it('with none, a converter failure fails with a DataError naming topic, partition and offset', async () => {
    const { op } = operator({});
    const err = await Promise.resolve(op.execute(() => ctx(), boom(new Error('Unexpected end of JSON input')))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataError);
    expect((err as Error).message).toBe('Converting the value of the record at topic orders partition 0 offset 7 failed: Unexpected end of JSON input');
    expect((err as ConnectError).retriable).toBe(false);
  });

  it('with all, a converter or transform failure is tolerated; without a DLQ it is logged as skipped, with coordinates and no record content', async () => {
    const { op, lines } = operator({ 'errors.tolerance': 'all' });
    expect(await op.execute(() => ctx(), boom(new Error('bad')))).toBe(TOLERATED);
    expect(await op.execute(() => ctx('TRANSFORMATION'), boom(new TransformError('t', 'Cast$Value', new Error('no')))), 'transform').toBe(TOLERATED);
    expect(op.tolerated).toBe(2);
    expect(lines[0]).toMatchObject({ level: 'warn', fields: { topic: 'orders', partition: 0, offset: 7, stage: 'VALUE_CONVERTER', error: 'bad' } });
    expect(JSON.stringify(lines)).not.toContain('{\\"n\\"');
  });

  it('with all, a put failure is never tolerated: the task\'s own error is thrown as it is', async () => {
    const { op } = operator({ 'errors.tolerance': 'all' });
    const own = new Error('constraint violated');
    await expect(op.executeAsync(() => ctx('TASK_PUT'), async () => Promise.reject(own))).rejects.toBe(own);
  });

  it('retries a retriable error with exponential backoff capped by errors.retry.delay.max.ms until it succeeds', async () => {
    const { op, sleeps } = operator({ 'errors.retry.timeout': '60000', 'errors.retry.delay.max.ms': '1000' });
    let calls = 0;
    const value = await op.executeAsync(
      () => ctx('TASK_PUT'),
      async () => {
        if (++calls < 5) throw new RetriableError('target busy');
        return 'done';
      },
    );
    expect(value).toBe('done');
    expect(sleeps).toEqual([300, 600, 1000, 1000]);
  });

  it('fails the task once errors.retry.timeout is spent', async () => {
    const { op, sleeps } = operator({ 'errors.retry.timeout': '1000', 'errors.retry.delay.max.ms': '60000' });
    const err = await op.executeAsync(() => ctx('TASK_PUT'), async () => Promise.reject(new RetriableError('target busy'))).catch((e: unknown) => e);
    expect(sleeps).toEqual([300, 600, 100]);
    expect(err).toBeInstanceOf(ConnectError);
    expect((err as ConnectError).retriable).toBe(false);
    expect((err as Error).message).toMatch(/^Putting the record at topic orders partition 0 offset 7 failed \(retried for errors.retry.timeout=1000 ms\): target busy/);
  });

  it('a retriable put error with errors.retry.timeout=0 is rethrown, so the batch is delivered again', async () => {
    const { op, sleeps } = operator({});
    const busy = new RetriableError('target busy');
    await expect(op.executeAsync(() => ctx('TASK_PUT'), async () => Promise.reject(busy))).rejects.toBe(busy);
    expect(sleeps).toEqual([]);
  });

  it("retries end with the invocation's deadline; still retriable then, the error is retriable (delivered again), never tolerated or failed", async () => {
    let now = 0;
    const { op } = operator({ 'errors.retry.timeout': '-1', 'errors.tolerance': 'all' }, { clock: () => now, deadline: () => 2_000, sleep: async (ms) => void (now += ms) });
    const err = await Promise.resolve(op.execute(() => ctx(), boom(Object.assign(new Error('ECONNRESET'), { code: 'ECONNRESET' })))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RetriableError);
    expect((err as Error).message).toMatch(/topic orders partition 0 offset 7 failed and may succeed later/);
    expect(now).toBe(2_000);
    expect(op.tolerated).toBe(0);
  });

  it('errors.log.enable logs the failure with its stage and class; the key and value only with include.messages; secrets masked', async () => {
    const quiet = operator({ 'errors.tolerance': 'all', 'errors.log.enable': 'true' });
    await quiet.op.execute(() => ctx(), boom(new Error('password hunter2 refused')));
    expect(quiet.lines).toHaveLength(1);
    expect(quiet.lines[0]!.msg).toBe("Error encountered in task orders-sink-0. Executing stage 'VALUE_CONVERTER' with class 'org.apache.kafka.connect.json.JsonConverter'.");
    expect(quiet.lines[0]!.fields).toMatchObject({ topic: 'orders', offset: 7, error: 'password [hidden] refused' });
    expect(quiet.lines[0]!.fields).not.toHaveProperty('value');

    const verbose = operator({ 'errors.tolerance': 'all', 'errors.log.enable': 'true', 'errors.log.include.messages': 'true' });
    await verbose.op.execute(() => ctx(), boom(new Error('bad')));
    expect(verbose.lines[0]!.fields).toMatchObject({ key: 'k1', value: '{"n": 1' });
  });

  it('report() (the errantRecordReporter) throws with none and tolerates with all', async () => {
    await expect(operator({}).op.report(ctx('TASK_PUT'), new Error('row refused'))).rejects.toThrow(/^Putting the record at topic orders partition 0 offset 7 failed: row refused/);
    const all = operator({ 'errors.tolerance': 'all' });
    await all.op.report(ctx('TASK_PUT'), new Error('row refused'));
    expect(all.op.tolerated).toBe(1);
  });
});

describe('DLQ context headers', () => {
  it("carry Kafka Connect's names; a transform failure names the transform's class and its own exception", () => {
    const cause = new TypeError('Expected a Struct, got string');
    const headers = new Map(contextHeaders(ctx('TRANSFORMATION'), new TransformError('extract', 'org.apache.kafka.connect.transforms.ExtractField$Value', cause), 'orders-sink', 0));
    expect([...headers.keys()]).toEqual([
      '__connect.errors.topic',
      '__connect.errors.partition',
      '__connect.errors.offset',
      '__connect.errors.connector.name',
      '__connect.errors.task.id',
      '__connect.errors.stage',
      '__connect.errors.class.name',
      '__connect.errors.exception.class.name',
      '__connect.errors.exception.message',
      '__connect.errors.exception.stacktrace',
    ]);
    expect(Object.fromEntries(headers)).toMatchObject({
      '__connect.errors.topic': 'orders',
      '__connect.errors.partition': '0',
      '__connect.errors.offset': '7',
      '__connect.errors.connector.name': 'orders-sink',
      '__connect.errors.task.id': '0',
      '__connect.errors.stage': 'TRANSFORMATION',
      '__connect.errors.class.name': 'org.apache.kafka.connect.transforms.ExtractField$Value',
      '__connect.errors.exception.class.name': 'TypeError',
      '__connect.errors.exception.message': 'Expected a Struct, got string',
    });
    expect(headers.get('__connect.errors.exception.stacktrace')).toMatch(/^TypeError: Expected a Struct, got string\n\s+at /);
  });

  it('a source record has its source partition and offset instead of a Kafka partition and offset', () => {
    const record = { topic: 'inventory.orders', sourcePartition: { server: 'db1' }, sourceOffset: { pos: 42 }, bytes: () => ({ key: null, value: null, headers: [] }) };
    const headers = new Map(contextHeaders({ stage: 'VALUE_CONVERTER', className: 'JsonConverter', record }, new Error('x'), 'cdc', 1));
    expect(headers.has('__connect.errors.offset')).toBe(false);
    expect(headers.get('__connect.errors.source.partition')).toBe('{"server":"db1"}');
    expect(headers.get('__connect.errors.source.offset')).toBe('{"pos":42}');
    expect(whereIs(record)).toBe('source partition {"server":"db1"} offset {"pos":42} for topic inventory.orders');
  });
});
