import { serviceOf, type MarathonApp } from '../definitions/fleet';

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
}

/**
 * PORT as Marathon gives it with host networking: the definition's own port when it requires it,
 * else a free one, which locally the service picks itself (PORT=0) and registers.
 */
export function portFor(app: Pick<MarathonApp, 'requirePorts' | 'portDefinitions'>): string {
  const fixed = app.portDefinitions?.[0]?.port ?? 0;
  return app.requirePorts && fixed > 0 ? String(fixed) : '0';
}

export function planInstances(app: MarathonApp, runId: string, extraEnv: Record<string, string> = {}): InstancePlan[] {
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
      env: { ...app.env, ...extraEnv, PORT: portFor(app), INSTANCE_ID: instanceId },
      healthPath: http?.path ?? '/health',
      version: app.env.SERVICE_VERSION,
    };
  });
}

/** The argv of a definition's command run as a local process: `node` is this very node binary. */
export function processArgv(args: string[], nodePath: string): string[] {
  return args[0] === 'node' ? [nodePath, ...args.slice(1)] : [...args];
}
