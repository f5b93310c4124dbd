import { describe, expect, it } from 'vitest';
import {
  BadRequestError,
  ConfigError,
  ConflictError,
  ConnectError,
  DataError,
  errorResponse,
  FencedError,
  httpStatusOf,
  isRetriable,
  NotFoundError,
  RetriableError,
} from '../../src/connect/errors.js';

describe('ConnectError and its subclasses', () => {
  it('carry a stable code, retriability and an HTTP status from one table', () => {
    const cases: Array<[ConnectError, string, boolean, number]> = [
      [new ConfigError({ field: 'tasks.max', message: 'bad' }), 'CONFIG_INVALID', false, 400],
      [new BadRequestError('malformed JSON body'), 'BAD_REQUEST', false, 400],
      [new DataError('bad record'), 'DATA_INVALID', false, 400],
      [new NotFoundError('Connector x not found'), 'NOT_FOUND', false, 404],
      [new ConflictError('Connector x already exists'), 'CONFLICT', false, 409],
      [new FencedError('lease lost'), 'FENCED', false, 409],
      [new RetriableError('broker unavailable'), 'RETRIABLE', true, 503],
      [new ConnectError('boom'), 'INTERNAL', false, 500],
    ];
    for (const [err, code, retriable, status] of cases) {
      expect(err).toBeInstanceOf(ConnectError);
      expect(err).toBeInstanceOf(Error);
      expect([err.code, err.retriable, httpStatusOf(err), isRetriable(err)], err.name).toEqual([code, retriable, status, retriable]);
    }
    expect(new FencedError('x').name).toBe('FencedError');
  });

  it('keeps the cause', () => {
    const cause = new Error('socket closed');
    expect(new RetriableError('produce failed', { cause }).cause).toBe(cause);
  });

  it('maps anything that is not a ConnectError to 500, with Kafka Connect\'s error body', () => {
    expect(httpStatusOf(new TypeError('x'))).toBe(500);
    expect(httpStatusOf('a string')).toBe(500);
    expect(errorResponse(new NotFoundError('Connector inventory not found'))).toEqual({ status: 404, body: { error_code: 404, message: 'Connector inventory not found' } });
  });

  it('ConfigError lists every field and message, and can be re-prefixed', () => {
    const err = new ConfigError([
      { field: 'tasks.max', message: 'Invalid value 0 for configuration tasks.max: Value must be at least 1' },
      { field: 'file', message: 'Missing required configuration "file" which has no default value.' },
    ]);
    expect(err.fields).toEqual(['tasks.max', 'file']);
    expect(err.messages['file']).toEqual(['Missing required configuration "file" which has no default value.']);
    expect(err.message).toContain('2 errors');
    expect(err.message).toContain('tasks.max: Value must be at least 1');
    const single = new ConfigError({ field: 'schemas.enable', message: 'Invalid value x for configuration schemas.enable: Expected value to be either true or false' });
    expect(single.message).toBe('Invalid value x for configuration schemas.enable: Expected value to be either true or false');
    const prefixed = single.withPrefix('value.converter.');
    expect(prefixed.fields).toEqual(['value.converter.schemas.enable']);
    expect(prefixed.message).toBe('Invalid value x for configuration value.converter.schemas.enable: Expected value to be either true or false');
    const missing = new ConfigError({ field: 'file', message: 'Missing required configuration "file" which has no default value.' }).withPrefix('source.');
    expect(missing.message).toBe('Missing required configuration "source.file" which has no default value.');
    const valueNamesField = new ConfigError({ field: 'file', message: 'Invalid value /tmp/file for configuration file: unreadable' }).withPrefix('x.');
    expect(valueNamesField.message).toBe('Invalid value /tmp/file for configuration x.file: unreadable');
  });

  it('isRetriable decides for foreign errors too: kafkajs, AWS SDK, Node sockets', () => {
    expect(isRetriable(Object.assign(new Error('leader not available'), { retriable: true }))).toBe(true);
    expect(isRetriable(Object.assign(new Error('topic authorization failed'), { retriable: false }))).toBe(false);
    expect(isRetriable(Object.assign(new Error('ProvisionedThroughputExceeded'), { $retryable: { throttling: true } }))).toBe(true);
    expect(isRetriable(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isRetriable(Object.assign(new Error('no such file'), { code: 'ENOENT' }))).toBe(false);
    expect(isRetriable(new Error('plain'))).toBe(false);
    expect(isRetriable(null)).toBe(false);
  });
});
