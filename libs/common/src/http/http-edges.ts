import { ArgumentsHost, Catch, HttpException, type ExceptionFilter } from '@nestjs/common';
import { errorCodes, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from '../logging/logger';
import type { Metrics } from '../metrics/metrics';

/** Contracts §8: `http.requests` (route, status) and `http.latency_ms` for every answer. */
export function installRequestMetrics(fastify: FastifyInstance, metrics: Metrics): void {
  fastify.addHook('onResponse', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    const route = request.routeOptions?.url ?? 'unmatched';
    const status = reply.statusCode;
    metrics.increment('http.requests', 1, { route, status });
    metrics.timing('http.latency_ms', reply.elapsedTime, { route });
    done();
  });
}

const fastifyErrors: Record<string, { status: number; error: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, error: 'payload_too_large' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, error: 'unsupported_media_type' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, error: 'bad_request' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, error: 'malformed_json' },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, error: 'malformed_json' },
};

/**
 * Nest turns Fastify's errors into `HttpException(message, status)` before any filter
 * sees them, dropping the code; the message and status still tell which one it was.
 */
function fastifyErrorOf(status: number, message: unknown): { status: number; error: string } | undefined {
  if (typeof message !== 'string') return undefined;
  for (const [code, mapped] of Object.entries(fastifyErrors)) {
    const known = new (errorCodes as unknown as Record<string, new () => Error & { statusCode: number }>)[code]();
    if (known.statusCode === status && (message === known.message || message.startsWith(`${known.message} `))) return mapped;
  }
  return undefined;
}

/** Nest's exceptions as JSON `{error, message}`; anything unexpected is logged and answered 500 without details. */
@Catch()
export class JsonErrorFilter implements ExceptionFilter {
  constructor(private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    // A stream handler's error goes back to StreamTransport as it was, to be sorted there.
    if (host.getType() !== 'http') throw exception;
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const body = exception.getResponse();
      const fromFastify = fastifyErrorOf(status, body);
      if (fromFastify) {
        void reply.status(fromFastify.status).send({ error: fromFastify.error, message: body });
        return;
      }
      if (
        typeof body === 'object' &&
        body !== null &&
        'error' in body &&
        typeof body.error === 'string' &&
        !('statusCode' in body)
      ) {
        void reply.status(status).send(body);
        return;
      }
      const message = typeof body === 'string' ? body : ((body as { message?: unknown }).message ?? exception.message);
      void reply
        .status(status)
        .send({ error: errorCodeOf(status), message: Array.isArray(message) ? message.join('; ') : String(message) });
      return;
    }
    // Fastify's own errors (body limits, content types, JSON parsing) arrive here too.
    const known = exception as Error & { code?: string; statusCode?: number };
    if (known?.code && fastifyErrors[known.code]) {
      const { status, error } = fastifyErrors[known.code];
      void reply.status(status).send({ error, message: known.message });
      return;
    }
    if (known instanceof SyntaxError) {
      void reply.status(400).send({ error: 'malformed_json', message: 'the body is not valid JSON' });
      return;
    }
    if (typeof known?.statusCode === 'number' && known.statusCode >= 400 && known.statusCode < 500) {
      void reply.status(known.statusCode).send({ error: errorCodeOf(known.statusCode), message: known.message });
      return;
    }
    this.logger.error({ err: exception }, 'request failed');
    void reply.status(500).send({ error: 'internal', message: 'internal error' });
  }
}

function errorCodeOf(status: number): string {
  const names: Record<number, string> = {
    400: 'bad_request',
    401: 'unauthorized',
    403: 'forbidden',
    404: 'not_found',
    405: 'method_not_allowed',
    413: 'payload_too_large',
    415: 'unsupported_media_type',
    429: 'too_many_requests',
    503: 'unavailable',
  };
  return names[status] ?? (status >= 500 ? 'internal' : 'bad_request');
}
