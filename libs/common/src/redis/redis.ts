import { createClient } from 'redis';
import type { Logger } from '../logging/logger';

export type RedisClient = ReturnType<typeof createClient>;

/**
 * A client that fails fast while Redis is down instead of queueing commands: callers
 * see the outage (health goes critical, consumers back off) rather than piling up work.
 */
export function createRedis(url: string, logger: Logger): RedisClient {
  const client = createClient({
    url,
    disableOfflineQueue: true,
    socket: { connectTimeout: 2000, reconnectStrategy: (retries) => Math.min(100 * 2 ** retries, 1000) },
  });
  let down = false;
  client.on('error', (error: Error) => {
    if (!down) logger.warn({ err: error.message }, 'redis unavailable');
    down = true;
  });
  client.on('ready', () => {
    if (down) logger.info('redis available again');
    down = false;
  });
  return client;
}

/** Connects in the background: a service boots (critical) while Redis is down and recovers by itself. */
export function connectRedis(client: RedisClient): void {
  client.connect().catch(() => undefined);
}

export async function closeRedis(client: RedisClient): Promise<void> {
  if (!client.isOpen) return;
  try {
    await client.quit();
  } catch {
    await client.disconnect().catch(() => undefined);
  }
}
