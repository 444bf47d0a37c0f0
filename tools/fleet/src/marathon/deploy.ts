import { serviceOf, type MarathonApp, type MarathonGroup } from '../definitions/fleet';
import { passingInstances, sleep, type ConsulInstance } from '../consul/consul';
import type { Deployment, MarathonAppStatus, MarathonClient } from './client';

export interface DeployOptions {
  client: MarathonClient;
  consul: string;
  force?: boolean;
  /** For Marathon's deployment and then for Consul, each. */
  timeoutMs?: number;
  pollMs?: number;
  log?: (line: string) => void;
}

export function describeDeployment(deployment: Deployment): string {
  const actions = (deployment.currentActions ?? []).map((action) => `${action.action} ${action.app}`).join(', ');
  return `step ${deployment.currentStep ?? '?'}/${deployment.totalSteps ?? '?'}${actions ? `: ${actions}` : ''}`;
}

/**
 * A deployment that left Marathon's list succeeded only when the group still carries its version:
 * a cancelled, rolled back or superseded one leaves another version behind.
 */
export function failureOf(groupVersion: string, ourVersion: string, apps: MarathonAppStatus[]): string | undefined {
  if (groupVersion === ourVersion) return undefined;
  const causes = apps
    .filter((app) => app.lastTaskFailure)
    .map((app) => `${app.id}: ${app.lastTaskFailure!.state ?? 'failed'} ${app.lastTaskFailure!.message ?? ''}`.trim());
  return `the group is at version ${groupVersion}, not ${ourVersion} (rolled back, cancelled or superseded)${causes.length ? `\n  ${causes.join('\n  ')}` : ''}`;
}

/** How far an app has arrived in Consul: passing instances of its new version against those asked for. */
export function arrival(
  app: MarathonApp,
  instances: ConsulInstance[],
): { service: string; version: string; passing: number; wanted: number } {
  const version = app.env.SERVICE_VERSION;
  return {
    service: serviceOf(app),
    version,
    passing: instances.filter((instance) => instance.version === version).length,
    wanted: app.instances,
  };
}

/** PUT the group, follow Marathon's deployment to its end, then wait until Consul shows every app's new version passing. */
export async function deploy(group: MarathonGroup, options: DeployOptions): Promise<{ deploymentId: string; version: string }> {
  const log = options.log ?? (() => undefined);
  const timeoutMs = options.timeoutMs ?? 600_000;
  const pollMs = options.pollMs ?? 1000;
  const { client } = options;

  const { deploymentId, version } = await client.putGroup(group, options.force);
  log(`deployment ${deploymentId} started (group ${group.id} version ${version})`);

  let deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    const current = (await client.deployments()).find((deployment) => deployment.id === deploymentId);
    if (!current) break;
    const line = describeDeployment(current);
    if (line !== last) log(`deployment ${deploymentId}: ${line}`);
    last = line;
    if (Date.now() > deadline) throw new Error(`deployment ${deploymentId} still runs after ${timeoutMs / 1000} s (${line})`);
    await sleep(pollMs);
  }
  const failure = failureOf((await client.group(group.id)).version, version, await client.apps(group.id));
  if (failure) throw new Error(`deployment ${deploymentId} failed: ${failure}`);
  log(`deployment ${deploymentId} finished in Marathon; waiting for Consul`);

  deadline = Date.now() + timeoutMs;
  const pending = new Map(group.apps.map((app) => [app.id, app]));
  while (pending.size > 0) {
    for (const app of [...pending.values()]) {
      const state = arrival(app, await passingInstances(options.consul, serviceOf(app)).catch(() => []));
      if (state.passing >= state.wanted) {
        log(`${state.service}: ${state.passing}/${state.wanted} instances of ${state.version} passing in Consul`);
        pending.delete(app.id);
      } else if (Date.now() > deadline) {
        throw new Error(
          `${state.service}: ${state.passing}/${state.wanted} instances of ${state.version} passing in Consul after ${timeoutMs / 1000} s`,
        );
      }
    }
    if (pending.size > 0) await sleep(pollMs);
  }
  return { deploymentId, version };
}
