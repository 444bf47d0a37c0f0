import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ClientClosedError, ClientOfflineError, ConnectionTimeoutError, SocketClosedUnexpectedlyError } from 'redis';
import { dependencyDown, DependencyDownError, describeError, isDependencyDown } from './errors';

const named = (name: string, extra: Record<string, unknown> = {}) => Object.assign(new Error('x'), { name }, extra);

describe('isDependencyDown', () => {
  it('is true for DependencyDownError and for errors wrapped with dependencyDown', () => {
    assert.equal(isDependencyDown(new DependencyDownError('redis', 'gone')), true);
    assert.equal(isDependencyDown(dependencyDown('partner-api', new Error('503'))), true);
  });

  it("recognises the clients' outage errors: node-redis, kafkajs, Node sockets, timeouts", () => {
    for (const type of [ClientOfflineError, ClientClosedError, ConnectionTimeoutError, SocketClosedUnexpectedlyError])
      assert.equal(isDependencyDown(new type()), true, type.name);
    assert.equal(isDependencyDown(named('KafkaJSConnectionError')), true);
    assert.equal(isDependencyDown(named('KafkaJSNumberOfRetriesExceeded')), true);
    assert.equal(isDependencyDown(named('KafkaJSProtocolError', { retriable: true })), true);
    assert.equal(isDependencyDown(named('TimeoutError')), true);
    for (const code of ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'ENOSPC', 'EIO'])
      assert.equal(isDependencyDown(Object.assign(new Error('x'), { code })), true, code);
  });

  it('looks through causes', () => {
    assert.equal(
      isDependencyDown(new Error('wrapped', { cause: Object.assign(new Error('x'), { code: 'ECONNREFUSED' }) })),
      true,
    );
    assert.equal(
      isDependencyDown(named('KafkaJSNonRetriableError', { cause: named('KafkaJSConnectionError') })),
      true,
      'kafkajs gave up on an unreachable broker',
    );
  });

  it('is false for bugs, bad data and a broker refusing this very request', () => {
    assert.equal(isDependencyDown(new TypeError("Cannot read properties of undefined (reading 'id')")), false);
    assert.equal(isDependencyDown(new RangeError('Invalid time value')), false);
    assert.equal(isDependencyDown(new Error('boom')), false);
    assert.equal(isDependencyDown(named('KafkaJSProtocolError', { retriable: false, type: 'MESSAGE_TOO_LARGE' })), false);
    assert.equal(isDependencyDown(named('KafkaJSNonRetriableError')), false);
    assert.equal(isDependencyDown({ status: 'error', message: 'Internal server error' }), false);
    assert.equal(isDependencyDown(undefined), false);
    assert.equal(isDependencyDown('ECONNREFUSED'), false);
  });
});

describe('describeError', () => {
  it('names the error and keeps its message; copes with anything thrown', () => {
    assert.equal(describeError(new TypeError('bad')), 'TypeError: bad');
    assert.equal(describeError({ a: 1 }), '{"a":1}');
    assert.equal(describeError(undefined), 'undefined');
  });
});
