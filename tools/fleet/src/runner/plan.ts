import { serviceOf, type MarathonApp } from '../definitions/fleet';

/** The agent address the local runner hands over as Marathon's HOST. */
export const LOCAL_HOST = '127.0.0.1';

/** One instance of an app definition, as Marathon would launch it on one agent. */
export interface InstancePlan {
  service: string;
  appId: string;
  index: number;
  instanceId: string;
  /** The definition's args: the container's command, and the process's (relative to the repository root). */
  args: string[];
  image: string;
  env: Record<string, string>;
  healthPath: string;
  version: string;
  /** The definition's named volumes, each with the local directory that plays it for a process. */
  volumes: PlannedVolume[];
}

/**
 * PORT as Marathon gives it with host networking: the definition's own port when it requires it,
 * else a free one, which locally the service picks itself (PORT=0) and registers.
 */
export function portFor(app: Pick<MarathonApp, 'requirePorts' | 'portDefinitions'>): string {
  const fixed = app.portDefinitions?.[0]?.port ?? 0;
  return app.requirePorts && fixed > 0 ? String(fixed) : '0';
}

export interface PlannedVolume {
  /** The Docker named volume (a container mounts it as Marathon's agent would). */
  name: string;
  containerPath: string;
  /** Its stand-in for a process: a directory under the run's volume root. */
  local: string;
}

/**
 * The definition's named volumes (docker parameters `volume=name:path`). A container mounts the named volume;
 * a process gets a directory under `volumeRoot` instead, and env values naming the container path are rewritten.
 */
export function localVolumes(app: MarathonApp, volumeRoot: string): PlannedVolume[] {
  return app.container.docker.parameters
    .filter((parameter) => parameter.key === 'volume')
    .map((parameter) => {
      const [name, containerPath] = parameter.value.split(':');
      return { name, containerPath, local: `${volumeRoot.replace(/\/$/, '')}/${name}` };
    });
}

export function processEnv(env: Record<string, string>, volumes: PlannedVolume[]): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).map(([key, value]) => {
      const volume = volumes.find(
        (candidate) => value === candidate.containerPath || value.startsWith(`${candidate.containerPath}/`),
      );
      return [key, volume ? volume.local + value.slice(volume.containerPath.length) : value];
    }),
  );
}

export function planInstances(
  app: MarathonApp,
  runId: string,
  extraEnv: Record<string, string> = {},
  volumeRoot = '/tmp/mmp-volumes',
): InstancePlan[] {
  if (!app.args?.length) throw new Error(`${app.id}: the local runner needs args (the command) in the definition`);
  if (app.requirePorts && app.instances > 1 && portFor(app) !== '0') {
    throw new Error(`${app.id}: ${app.instances} instances cannot share the required port ${portFor(app)} on one host`);
  }
  const service = serviceOf(app);
  const http = app.healthChecks?.find((check) => check.path && /HTTP/.test(check.protocol));
  return Array.from({ length: app.instances }, (_, index) => {
    const instanceId = `${service}-local-${runId}-${index}`;
    return {
      service,
      appId: app.id,
      index,
      instanceId,
      args: app.args,
      image: app.container.docker.image,
      // HOST as Marathon sets it: the agent's address, here this one machine's loopback.
      env: { ...app.env, HOST: LOCAL_HOST, ...extraEnv, PORT: portFor(app), INSTANCE_ID: instanceId },
      healthPath: http?.path ?? '/health',
      version: app.env.SERVICE_VERSION,
      volumes: localVolumes(app, volumeRoot),
    };
  });
}

/** The argv of a definition's command run as a local process: `node` is this very node binary. */
export function processArgv(args: string[], nodePath: string): string[] {
  return args[0] === 'node' ? [nodePath, ...args.slice(1)] : [...args];
}
