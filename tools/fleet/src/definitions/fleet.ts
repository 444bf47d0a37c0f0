import { SERVICES, type ServiceName } from '@mmp/common';
import type { FleetConfiguration } from '../config/fleet-config';
import { LOCAL_BASE, REGISTRY_BASE } from '../runtime';

/** The one place the fleet's deployment is described; Marathon JSON and Dockerfiles are rendered from it. */
export interface ServiceSpec {
  name: ServiceName;
  instances: number;
  cpus: number;
  mem: number;
  /**
   * Directories the service writes to, each a Docker named volume of the host (shared by the app's instances
   * there, outliving containers) handed over in an environment variable. A new named volume takes the owner of
   * the image's directory, which the Dockerfile makes uid 1000: a host path would be created root-owned.
   */
  volumes?: { env: string; path: string; name: string }[];
  /** At most one instance per agent (Marathon's `hostname:UNIQUE`). */
  uniqueHosts?: boolean;
}

export const FLEET: readonly ServiceSpec[] = [
  // The spool keeps accepted events while Kafka is away: a volume of the host, so it outlives the container and
  // the other instances on the host adopt what a dead one left (see services/ingest's SpoolDirectory).
  // Two instances on two hosts: the front door survives the loss of an agent.
  {
    name: 'ingest',
    instances: 2,
    cpus: 0.5,
    mem: 256,
    volumes: [{ env: 'SPOOL_DIR', path: '/var/lib/mmp/ingest/spool', name: 'mmp-ingest-spool' }],
    uniqueHosts: true,
  },
  { name: 'attribution', instances: 1, cpus: 0.5, mem: 384 },
  // The lake of raw rows (services/raw-reports): a volume of the host, owned by uid 1000 like the spool. It stays
  // on its host: on a cluster, keep the app on one agent (docs/deploy.md).
  {
    name: 'raw-reports',
    instances: 1,
    cpus: 0.25,
    mem: 256,
    volumes: [{ env: 'RAW_REPORTS_DIR', path: '/var/lib/mmp/raw-reports', name: 'mmp-raw-reports' }],
  },
  { name: 'aggregates', instances: 1, cpus: 0.25, mem: 256 },
];

export const GROUP_ID = '/mmp';
/** The version committed files carry; deployments render the git revision instead (see renderOptions in main). */
export const DEFAULT_VERSION = '0.1.0';
export const DEFAULT_TAG = 'latest';

/** Contracts §1: every infrastructure address is an environment variable, set from the fleet configuration. */
export function infraEnv(config: FleetConfiguration): Record<string, string> {
  return {
    KAFKA_BROKERS: config.kafka.brokers,
    // `$HOST` is expanded by the service (libs/common config): Marathon passes env values as written.
    CONSUL_HTTP_ADDR: config.consul,
    REDIS_URL: config.redisUrl,
    STATSD_HOST: config.statsd.host,
    STATSD_PORT: String(config.statsd.port),
  };
}

export interface RenderOptions {
  /** Image tag, e.g. the git revision the images were built from. */
  tag: string;
  /** SERVICE_VERSION: Consul's meta version, by which a deployment is known to have arrived. */
  version: string;
  /** Where the fleet runs: cluster addresses and the image prefix. */
  config: FleetConfiguration;
  /** Variables the operator asked for (`--env K=V`), for every app, last. */
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
  };
  networks: { mode: 'host' }[];
  constraints?: [string, string, ...string[]][];
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
export const imageRepository = (prefix: string, service: ServiceName): string => `${prefix.replace(/\/$/, '')}/${service}`;
export const imageName = (prefix: string, service: ServiceName, tag: string): string =>
  `${imageRepository(prefix, service)}:${tag}`;
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
      // Named volumes go as docker parameters (`docker run --volume name:path`): Marathon's own volumes are host
      // paths, which Docker creates owned by root, or external (DVDI) volumes, which need a plugin.
      docker: {
        image: imageName(options.config.images.prefix, spec.name, options.tag),
        forcePullImage: false,
        parameters: [
          { key: 'init', value: 'true' },
          ...(spec.volumes ?? []).map((volume) => ({ key: 'volume', value: `${volume.name}:${volume.path}` })),
        ],
      },
    },
    networks: [{ mode: 'host' }],
    ...(spec.uniqueHosts ? { constraints: [['hostname', 'UNIQUE']] as [string, string][] } : {}),
    // Host networking: Marathon picks a free host port and hands it over as PORT (and PORT0).
    portDefinitions: [{ port: 0, name: 'http', protocol: 'tcp' }],
    requirePorts: false,
    // No ADVERTISE_ADDRESS: a service advertises the HOST Marathon sets, the agent's address other hosts reach.
    env: {
      ...infraEnv(options.config),
      SERVICE_VERSION: options.version,
      LOG_LEVEL: 'info',
      NODE_ENV: 'production',
      BIND_ADDRESS: '0.0.0.0',
      DEREGISTER_CRITICAL_AFTER: '1m',
      ...Object.fromEntries((spec.volumes ?? []).map((volume) => [volume.env, volume.path])),
      ...options.env,
    },
    // Liveness (contracts §1): Marathon kills an instance that fails it, so it must not follow Kafka or Redis;
    // readiness (/health) is Consul's check. MESOS_HTTP: the agent asks from the task's network namespace.
    healthChecks: [
      {
        protocol: 'MESOS_HTTP',
        path: '/health/live',
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

/** The empty directory of the build context that volume mount points are copied from (see images/build). */
export const EMPTY_CONTEXT_DIR = 'volumes/empty/';

/**
 * The volume's mount point, owned by the service's user: an empty named volume takes its owner on first mount.
 * COPY --chown of an empty directory, since the local base image has no shell to RUN mkdir in.
 */
function volumeLines(spec: Pick<ServiceSpec, 'volumes'>): string {
  return (spec.volumes ?? [])
    .map(
      (volume) =>
        `# ${volume.env}: a named volume mounted here starts owned by uid 1000.\nCOPY --chown=1000:1000 ${EMPTY_CONTEXT_DIR} ${volume.path}/\n`,
    )
    .join('');
}

/**
 * One Dockerfile per service, classic-builder compatible (Debian's docker.io has no BuildKit).
 * The shared layers come first so the four builds share them in the layer cache.
 */
export function dockerfile(spec: Pick<ServiceSpec, 'name' | 'volumes'>): string {
  const service = spec.name;
  return `# Generated by \`fleet definitions\` from tools/fleet/src/definitions/fleet.ts; do not edit.
# The ${service} service: its one bundled file on a Node base. BASE_IMAGE defaults to the public
# Node image of the version in .node-version; where no registry answers, infra/docker.sh makes
# ${LOCAL_BASE} locally from the same Node.
ARG BASE_IMAGE=${REGISTRY_BASE}
FROM \${BASE_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
COPY deploy/docker/healthcheck.js /app/healthcheck.js
${volumeLines(spec)}# Both bases have the non-root user node (uid 1000).
USER 1000:1000
# No curl in the image: node asks /health/live itself (and finds the port when PORT=0).
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
  for (const spec of fleet) files.set(`deploy/docker/${spec.name}.Dockerfile`, dockerfile(spec));
  return files;
}

/** What the committed files carry: the default configuration, tag latest and the default version. */
export const committedOptions = (config: FleetConfiguration): RenderOptions => ({
  tag: DEFAULT_TAG,
  version: DEFAULT_VERSION,
  config,
});
