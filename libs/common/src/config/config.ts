import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { z } from 'zod';

export const SERVICES = {
  ingest: 3100,
  attribution: 3200,
  'raw-reports': 3300,
  aggregates: 3400,
} as const;
export type ServiceName = keyof typeof SERVICES;

const hostPort = z
  .string()
  .regex(/^[A-Za-z0-9.-]+:\d{1,5}$/, 'must be host:port')
  .transform((value) => {
    const [host, port] = value.split(':');
    return { host, port: Number(port) };
  });

const port = z.coerce.number().int().min(0).max(65535);

const sharedSchema = z.object({
  PORT: port.optional(),
  KAFKA_BROKERS: z
    .string()
    .default('127.0.0.1:9092')
    .refine((value) => value.split(',').every((broker) => /^[A-Za-z0-9.-]+:\d{1,5}$/.test(broker.trim())), {
      message: 'must be a comma-separated list of host:port',
    })
    .transform((value) => value.split(',').map((broker) => broker.trim())),
  CONSUL_HTTP_ADDR: z
    .string()
    .default('127.0.0.1:8500')
    .transform((value) => value.replace(/^https?:\/\//, ''))
    .pipe(hostPort),
  REDIS_URL: z
    .string()
    .default('redis://127.0.0.1:6379')
    .refine((value) => /^rediss?:\/\/[^\s]+$/.test(value), { message: 'must be a redis:// URL' }),
  STATSD_HOST: z.string().min(1).default('127.0.0.1'),
  STATSD_PORT: port.default(8125),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SERVICE_VERSION: z
    .string()
    .regex(/^[A-Za-z0-9._+-]{1,64}$/, 'must be 1 to 64 of A-Z a-z 0-9 . _ + -')
    .default('0.1.0'),
  INSTANCE_ID: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,100}$/, 'must be 1 to 100 of A-Z a-z 0-9 . _ -')
    .optional(),
  ADVERTISE_ADDRESS: z.string().min(1).optional(),
  /** Marathon's (and Mesos') name of the agent a task runs on. */
  HOST: z.string().min(1).optional(),
  BIND_ADDRESS: z.string().min(1).default('127.0.0.1'),
  DEREGISTER_CRITICAL_AFTER: z
    .string()
    .regex(/^\d+(ms|s|m|h)$/, 'must be a duration such as 30s or 1m')
    .default('1m'),
});

export interface FleetConfig<Own = Record<string, never>> {
  service: ServiceName;
  version: string;
  /** 0 picks a free port; the service registers the port it really got. */
  port: number;
  instanceId: string;
  /** The address Consul hands to other services: ADVERTISE_ADDRESS, else Marathon's HOST, else loopback. */
  advertiseAddress: string;
  /** The address the HTTP server listens on; loopback unless told otherwise. */
  bindAddress: string;
  kafkaBrokers: string[];
  consul: { host: string; port: number };
  redisUrl: string;
  statsd: { host: string; port: number };
  logLevel: z.infer<typeof sharedSchema>['LOG_LEVEL'];
  deregisterCriticalAfter: string;
  own: Own;
}

/** The address variables that may name the task's own host as `$HOST` (e.g. the Consul agent at `$HOST:8500`). */
const PER_HOST_VARIABLES = ['KAFKA_BROKERS', 'CONSUL_HTTP_ADDR', 'REDIS_URL', 'STATSD_HOST'] as const;

/**
 * Marathon passes env values as written, with no shell to expand them, so a definition that wants the agent
 * of its own host says `$HOST` (or `${HOST}`) and the service expands it: to HOST, else to 127.0.0.1.
 */
export function expandHost(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const host = env.HOST?.trim() || '127.0.0.1';
  const expanded = { ...env };
  for (const key of PER_HOST_VARIABLES) {
    const value = expanded[key];
    if (value) expanded[key] = value.replace(/\$\{HOST\}|\$HOST(?![A-Za-z0-9_])/g, host);
  }
  return expanded;
}

export class ConfigError extends Error {
  constructor(
    readonly service: string,
    readonly problems: string[],
  ) {
    super(`${service}: invalid configuration: ${problems.join('; ')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Reads and validates the environment once, at boot. Every problem is named in one
 * error, so a bad deployment is fixed in one go.
 */
export function loadConfig<Shape extends z.ZodRawShape = Record<never, never>>(
  service: ServiceName,
  env: NodeJS.ProcessEnv = process.env,
  ownShape?: Shape,
): FleetConfig<z.infer<z.ZodObject<Shape>>> {
  const schema = ownShape ? sharedSchema.extend(ownShape) : sharedSchema;
  const parsed = schema.safeParse(expandHost(env));
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(env)'} ${issue.message}`);
    throw new ConfigError(service, problems);
  }
  const values = parsed.data as z.infer<typeof sharedSchema> & Record<string, unknown>;
  const own = Object.fromEntries(Object.keys(ownShape ?? {}).map((key) => [key, values[key]]));
  return {
    service,
    version: values.SERVICE_VERSION,
    port: values.PORT ?? SERVICES[service],
    instanceId: values.INSTANCE_ID ?? `${service}-${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`,
    advertiseAddress: values.ADVERTISE_ADDRESS ?? values.HOST ?? '127.0.0.1',
    bindAddress: values.BIND_ADDRESS,
    kafkaBrokers: values.KAFKA_BROKERS,
    consul: values.CONSUL_HTTP_ADDR,
    redisUrl: values.REDIS_URL,
    statsd: { host: values.STATSD_HOST, port: values.STATSD_PORT },
    logLevel: values.LOG_LEVEL,
    deregisterCriticalAfter: values.DEREGISTER_CRITICAL_AFTER,
    own: own as z.infer<z.ZodObject<Shape>>,
  };
}
