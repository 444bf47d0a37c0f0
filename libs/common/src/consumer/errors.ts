import {
  ClientClosedError,
  ClientOfflineError,
  ConnectionTimeoutError,
  DisconnectsClientError,
  ReconnectStrategyError,
  SocketClosedUnexpectedlyError,
} from 'redis';

/**
 * A dependency (Redis, Kafka, another service, the network) is down or timed out. Thrown by
 * a handler, it means "these messages are fine, try them again later": the consumer pauses
 * the partition and retries it with backoff for as long as it takes.
 */
export class DependencyDownError extends Error {
  override readonly name = 'DependencyDownError';

  constructor(
    /** What is down, e.g. 'redis' or 'kafka'. */
    readonly dependency: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${dependency}: ${message}`, options);
  }
}

/** Wraps any error as a dependency outage: `throw dependencyDown('redis', error)`. */
export function dependencyDown(dependency: string, cause: unknown): DependencyDownError {
  return new DependencyDownError(dependency, cause instanceof Error ? cause.message : String(cause), { cause });
}

// node-redis' outage errors; they keep the name 'Error', so they are known by class.
const redisOutages = [
  ClientClosedError,
  ClientOfflineError,
  ConnectionTimeoutError,
  DisconnectsClientError,
  ReconnectStrategyError,
  SocketClosedUnexpectedlyError,
];

// Errors by name that mean "not reachable right now" (timers, fetch/undici).
const outageNames = new Set([
  'TimeoutError',
  'AbortError',
  'ConnectTimeoutError',
  'HeadersTimeoutError',
  'BodyTimeoutError',
  'SocketError',
]);

// Node's system errors for a peer that cannot be reached or went away.
const outageCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ESOCKETTIMEDOUT',
  // The local disk is a dependency too: full, read-only or failing is an outage, not a bad message.
  'ENOSPC',
  'EDQUOT',
  'EROFS',
  'EIO',
  'EMFILE',
  'ENFILE',
  'EAGAIN',
  'EBUSY',
]);

/**
 * Sorts an error into one of the two kinds of docs/consumer.md: true for a dependency
 * that is down (retried forever with backoff), false for anything else (retried a few
 * times, then the failing message is isolated and dead-lettered). Looks through `cause`.
 */
export function isDependencyDown(error: unknown, depth = 0): boolean {
  if (typeof error !== 'object' || error === null || depth > 5) return false;
  if (error instanceof DependencyDownError) return true;
  if (redisOutages.some((type) => error instanceof type)) return true;
  const { name, code, retriable, cause } = error as { name?: unknown; code?: unknown; retriable?: unknown; cause?: unknown };
  if (typeof name === 'string') {
    if (outageNames.has(name)) return true;
    // kafkajs: everything is an outage except a broker's final "no" to this request (e.g. a record too large).
    if (name === 'KafkaJSProtocolError') return retriable !== false;
    if (name === 'KafkaJSNonRetriableError') return cause !== undefined && cause !== error && isDependencyDown(cause, depth + 1);
    if (name.startsWith('KafkaJS')) return true;
  }
  if (typeof code === 'string' && (outageCodes.has(code) || code.startsWith('UND_ERR_'))) return true;
  return isDependencyDown(cause, depth + 1);
}

/** One line for logs and the DLQ `error` header. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  try {
    return JSON.stringify(error) ?? String(error);
  } catch {
    return String(error);
  }
}
