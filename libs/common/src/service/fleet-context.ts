import type Consul from 'consul';
import type { FleetConfig } from '../config/config';
import type { AppsRegistry } from '../consul/consul';
import type { HealthRegistry } from '../health/health';
import type { StreamClient } from '../kafka/stream-client';
import type { Logger } from '../logging/logger';
import type { Metrics } from '../metrics/metrics';
import type { RedisClient } from '../redis/redis';

/**
 * What libs/common gives every service, built once at boot by bootstrapService and
 * injected into the service's Nest module (inject `FleetContext`).
 */
export abstract class FleetContext<Own = unknown> {
  abstract readonly config: FleetConfig<Own>;
  abstract readonly logger: Logger;
  abstract readonly metrics: Metrics;
  abstract readonly health: HealthRegistry;
  abstract readonly kafka: StreamClient;
  abstract readonly consul: Consul;
  abstract readonly apps: AppsRegistry;
  abstract readonly redis: RedisClient;
}
