import { SERVICES, type ServiceName } from '@mmp/common';
import { LOCAL_BASE, REGISTRY_BASE } from '../runtime';

/** The one place the fleet's deployment is described; Marathon JSON and Dockerfiles are rendered from it. */
export interface ServiceSpec {
  name: ServiceName;
  instances: number;
  cpus: number;
  mem: number;
  /** Host directories the service writes to, each handed over in an environment variable. */
  volumes?: { env: string; path: string }[];
}

export const FLEET: readonly ServiceSpec[] = [
  // The spool keeps accepted events while Kafka is away: a host directory, so it outlives the container and the
  // other instances on the host adopt what a dead one left (see services/ingest's SpoolDirectory).
  { name: 'ingest', instances: 2, cpus: 0.5, mem: 256, volumes: [{ env: 'SPOOL_DIR', path: '/var/lib/mmp/ingest/spool' }] },
  { name: 'attribution', instances: 1, cpus: 0.5, mem: 384 },
  { name: 'raw-reports', instances: 1, cpus: 0.25, mem: 256 },
  { name: 'aggregates', instances: 1, cpus: 0.25, mem: 256 },
];

export const GROUP_ID = '/mmp';
export const IMAGE_REPOSITORY = 'mmp';
/** The version committed files carry; deployments render the git revision instead (see renderOptions in main). */
export const DEFAULT_VERSION = '0.1.0';
export const DEFAULT_TAG = 'latest';

/** Contracts §1: every infrastructure address is an environment variable; these are the defaults. */
export const INFRA_ENV = {
  KAFKA_BROKERS: '127.0.0.1:9092',
  CONSUL_HTTP_ADDR: '127.0.0.1:8500',
  REDIS_URL: 'redis://127.0.0.1:6379',
  STATSD_HOST: '127.0.0.1',
  STATSD_PORT: '8125',
} as const;

export interface RenderOptions {
  /** Image tag, e.g. the git revision the images were built from. */
  tag: string;
  /** SERVICE_VERSION: Consul's meta version, by which a deployment is known to have arrived. */
  version: string;
  /** Overrides of the infrastructure addresses (and any other variable) for every app. */
  env?: Record<string, string>;
}

export interface MarathonHealthCheck {
  protocol: 'HTTP' | 'MESOS_HTTP';
  path: string;
  portIndex: number;
  gracePeriodSeconds: number;
  intervalSeconds: number;
  timeoutSeconds: number;
  maxConsecutiveFailures: number;
  delaySeconds: number;
}

export interface MarathonVolume {
  containerPath: string;
  hostPath: string;
  mode: 'RW' | 'RO';
}

export interface MarathonApp {
  id: string;
  instances: number;
  cpus: number;
  mem: number;
  disk: number;
  args: string[];
  container: {
    type: 'DOCKER';
    docker: { image: string; forcePullImage: boolean; parameters: { key: string; value: string }[] };
    volumes?: MarathonVolume[];
  };
  networks: { mode: 'host' }[];
  portDefinitions: { port: number; name: string; protocol: 'tcp' }[];
  requirePorts: boolean;
  env: Record<string, string>;
  healthChecks: MarathonHealthCheck[];
  upgradeStrategy: { minimumHealthCapacity: number; maximumOverCapacity: number };
  taskKillGracePeriodSeconds: number;
  killSelection: 'OLDEST_FIRST' | 'YOUNGEST_FIRST';
  backoffSeconds: number;
  backoffFactor: number;
  maxLaunchDelaySeconds: number;
  labels: Record<string, string>;
}

export interface MarathonGroup {
  id: string;
  apps: MarathonApp[];
}

export const bundlePath = (service: ServiceName): string => `dist/bundles/${service}.js`;
export const imageName = (service: ServiceName, tag: string): string => `${IMAGE_REPOSITORY}/${service}:${tag}`;
export const appId = (service: ServiceName): string => `${GROUP_ID}/${service}`;

export function marathonApp(spec: ServiceSpec, options: RenderOptions): MarathonApp {
  return {
    id: appId(spec.name),
    instances: spec.instances,
    cpus: spec.cpus,
    mem: spec.mem,
    disk: 0,
    // Relative to the image's WORKDIR (/app) and to the repository's root alike, so the local
    // runner starts the very same command as a process.
    args: ['node', bundlePath(spec.name)],
    container: {
      type: 'DOCKER',
      // --init: tini as PID 1 forwards SIGTERM to node, and a SIGTERM that arrives before the service has
      // installed its handlers still ends it (PID 1 would ignore it until the kill).
      docker: { image: imageName(spec.name, options.tag), forcePullImage: false, parameters: [{ key: 'init', value: 'true' }] },
      ...(spec.volumes?.length
        ? { volumes: spec.volumes.map((volume) => ({ containerPath: volume.path, hostPath: volume.path, mode: 'RW' as const })) }
        : {}),
    },
    networks: [{ mode: 'host' }],
    // Host networking: Marathon picks a free host port and hands it over as PORT (and PORT0).
    portDefinitions: [{ port: 0, name: 'http', protocol: 'tcp' }],
    requirePorts: false,
    env: {
      ...INFRA_ENV,
      SERVICE_VERSION: options.version,
      LOG_LEVEL: 'info',
      NODE_ENV: 'production',
      BIND_ADDRESS: '127.0.0.1',
      ADVERTISE_ADDRESS: '127.0.0.1',
      DEREGISTER_CRITICAL_AFTER: '1m',
      ...Object.fromEntries((spec.volumes ?? []).map((volume) => [volume.env, volume.path])),
      ...options.env,
    },
    // MESOS_HTTP: the agent checks from inside the task's network namespace, so loopback binding works.
    healthChecks: [
      {
        protocol: 'MESOS_HTTP',
        path: '/health',
        portIndex: 0,
        gracePeriodSeconds: 60,
        intervalSeconds: 5,
        timeoutSeconds: 3,
        maxConsecutiveFailures: 3,
        delaySeconds: 5,
      },
    ],
    // Never below the asked capacity during an upgrade; new instances start beside the old ones.
    upgradeStrategy: { minimumHealthCapacity: 1, maximumOverCapacity: 0.5 },
    // Contracts §1: a service exits within 10 s of SIGTERM; Marathon kills after this grace.
    taskKillGracePeriodSeconds: 15,
    killSelection: 'OLDEST_FIRST',
    backoffSeconds: 1,
    backoffFactor: 1.15,
    maxLaunchDelaySeconds: 300,
    labels: {
      'mmp.fleet': 'mmp-fleet',
      'mmp.service': spec.name,
      'mmp.consul.service': spec.name,
      'mmp.version': options.version,
      'mmp.default-port': String(SERVICES[spec.name]),
    },
  };
}

export function marathonGroup(options: RenderOptions, fleet: readonly ServiceSpec[] = FLEET): MarathonGroup {
  return { id: GROUP_ID, apps: fleet.map((spec) => marathonApp(spec, options)) };
}

/** The service an app definition runs, from its label (falling back to the last part of its id). */
export function serviceOf(app: Pick<MarathonApp, 'id' | 'labels'>): string {
  return app.labels?.['mmp.consul.service'] ?? app.id.split('/').filter(Boolean).pop() ?? app.id;
}

/**
 * One Dockerfile per service, classic-builder compatible (Debian's docker.io has no BuildKit).
 * The shared layers come first so the four builds share them in the layer cache.
 */
export function dockerfile(service: ServiceName): string {
  return `# Generated by \`fleet definitions\` from tools/fleet/src/definitions/fleet.ts; do not edit.
# The ${service} service: its one bundled file on a Node base. BASE_IMAGE defaults to the public
# Node image of the version in .node-version; where no registry answers, infra/docker.sh makes
# ${LOCAL_BASE} locally from the same Node.
ARG BASE_IMAGE=${REGISTRY_BASE}
FROM \${BASE_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
COPY deploy/docker/healthcheck.js /app/healthcheck.js
# Both bases have the non-root user node (uid 1000).
USER 1000:1000
# No curl in the image: node asks /health itself (and finds the port when PORT=0).
HEALTHCHECK --interval=5s --timeout=3s --start-period=30s --retries=3 CMD ["node", "/app/healthcheck.js"]
# Run with --init (Marathon: the docker parameter init=true): tini forwards SIGTERM to node.
STOPSIGNAL SIGTERM
COPY ${bundlePath(service)} /app/${bundlePath(service)}
CMD ["node", "${bundlePath(service)}"]
`;
}

const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;

/** Every generated file, by its path relative to the repository root. */
export function renderFiles(options: RenderOptions, fleet: readonly ServiceSpec[] = FLEET): Map<string, string> {
  const files = new Map<string, string>();
  const group = marathonGroup(options, fleet);
  for (const app of group.apps) files.set(`deploy/marathon/${serviceOf(app)}.json`, json(app));
  files.set('deploy/marathon/fleet.group.json', json(group));
  for (const spec of fleet) files.set(`deploy/docker/${spec.name}.Dockerfile`, dockerfile(spec.name));
  return files;
}

export const committedOptions: RenderOptions = { tag: DEFAULT_TAG, version: DEFAULT_VERSION };
