import Ajv from 'ajv';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * Where the fleet runs: the cluster addresses every app gets, the image registry, and the topics' durability.
 * One file per environment (deploy/fleet.config.json is this machine); the definitions are rendered from it
 * at deploy time, and nothing from the operator's shell is copied into them.
 */
export interface FleetConfiguration {
  /** Image names are `<prefix>/<service>:<tag>`; a prefix starting with a registry host is pushed there. */
  images: { prefix: string };
  kafka: {
    /** Comma-separated host:port list, as KAFKA_BROKERS. */
    brokers: string;
    replicationFactor: number;
    minInsyncReplicas: number;
  };
  /** The Consul agent each task talks to; `$HOST:8500` is the agent of the task's own host. */
  consul: string;
  redisUrl: string;
  statsd: { host: string; port: number };
}

export const DEFAULT_CONFIG_FILE = 'deploy/fleet.config.json';

const address = '^(\\$HOST|\\$\\{HOST\\}|[A-Za-z0-9.-]+):[0-9]{1,5}$';
const schema = {
  type: 'object',
  additionalProperties: false,
  required: ['images', 'kafka', 'consul', 'redisUrl', 'statsd'],
  properties: {
    $comment: { type: 'string' },
    images: {
      type: 'object',
      additionalProperties: false,
      required: ['prefix'],
      properties: {
        prefix: { type: 'string', pattern: '^[a-z0-9]([a-z0-9._:-]*[a-z0-9])?(/[a-z0-9]([a-z0-9._-]*[a-z0-9])?)*$' },
      },
    },
    kafka: {
      type: 'object',
      additionalProperties: false,
      required: ['brokers', 'replicationFactor', 'minInsyncReplicas'],
      properties: {
        brokers: { type: 'string', pattern: '^[A-Za-z0-9.-]+:[0-9]{1,5}(,\\s*[A-Za-z0-9.-]+:[0-9]{1,5})*$' },
        replicationFactor: { type: 'integer', minimum: 1 },
        minInsyncReplicas: { type: 'integer', minimum: 1 },
      },
    },
    consul: { type: 'string', pattern: address },
    redisUrl: { type: 'string', pattern: '^rediss?://\\S+$' },
    statsd: {
      type: 'object',
      additionalProperties: false,
      required: ['host', 'port'],
      properties: {
        host: { type: 'string', minLength: 1 },
        port: { type: 'integer', minimum: 1, maximum: 65535 },
      },
    },
  },
} as const;

const validate = new Ajv({ allErrors: true }).compile(schema);

/** Checks a parsed configuration; every problem is named at once. */
export function parseFleetConfig(value: unknown, source = 'fleet configuration'): FleetConfiguration {
  const problems: string[] = [];
  if (!validate(value)) {
    for (const error of validate.errors ?? []) {
      const extra = (error.params as { additionalProperty?: string }).additionalProperty;
      problems.push(`${error.instancePath || '/'} ${error.message}${extra ? ` (${extra})` : ''}`);
    }
  } else {
    const config = value as unknown as FleetConfiguration;
    if (config.kafka.minInsyncReplicas > config.kafka.replicationFactor)
      problems.push('/kafka/minInsyncReplicas must not exceed replicationFactor (no write could ever succeed)');
  }
  if (problems.length) throw new Error(`${source} is invalid:\n  ${problems.join('\n  ')}`);
  return value as FleetConfiguration;
}

export function loadFleetConfig(root: string, file: string = DEFAULT_CONFIG_FILE): FleetConfiguration {
  const path = resolve(root, file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`cannot read the fleet configuration ${path}: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`${path} is not JSON: ${(error as Error).message}`);
  }
  return parseFleetConfig(json, path);
}

/** The registry host of an image prefix (`127.0.0.1:5000/mmp` -> `127.0.0.1:5000`), as Docker reads it. */
export function registryOf(prefix: string): string | undefined {
  const first = prefix.split('/')[0];
  return prefix.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost') ? first : undefined;
}
