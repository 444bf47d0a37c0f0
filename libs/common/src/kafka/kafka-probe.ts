import { connect } from 'node:net';
import type { HealthCheck } from '../health/health';

/**
 * Kafka is reachable when a broker accepts a connection. Cheap enough for a 2 s
 * Consul check, and it does not go through the client's own retries.
 */
export function kafkaCheck(brokers: string[], timeoutMs = 800): HealthCheck {
  return async () => {
    for (const broker of brokers) {
      const [host, port] = broker.split(':');
      if (await accepts(host, Number(port), timeoutMs)) return { status: 'passing' };
    }
    return { status: 'critical', detail: `no Kafka broker answers at ${brokers.join(',')}` };
  };
}

function accepts(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
