import type Docker from 'dockerode';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { MarathonApp } from '../definitions/fleet';
import { passingInstances, sleep } from '../consul/consul';
import { registryOf } from '../config/fleet-config';
import { hasImage } from '../docker/engine';
import { pullImage } from '../images/push';
import { launchContainer } from './containers';
import type { Instance } from './instance';
import { planInstances } from './plan';
import { launchProcess } from './processes';

export interface RunnerOptions {
  mode: 'processes' | 'containers';
  root: string;
  runDir: string;
  consul: string;
  docker?: Docker;
  /** Added to every instance's env (after the definition's), e.g. other infrastructure addresses. */
  env?: Record<string, string>;
  runId?: string;
  startTimeoutMs?: number;
  /** SIGTERM to kill: the definitions' taskKillGracePeriodSeconds plays this part in Marathon. */
  stopGraceMs?: number;
  log?: (line: string) => void;
}

export interface RunningInstance {
  service: string;
  instanceId: string;
  port: number;
  url: string;
  logFile: string;
}

export interface StoppedInstance {
  instanceId: string;
  code: number | null;
  ms: number;
}

/**
 * Runs the fleet from its Marathon app definitions on this machine: every instance of every app,
 * as a process or a container, until each one passes in Consul and answers its health check.
 */
export class FleetRunner {
  readonly runId: string;
  private readonly instances: Instance[] = [];
  private readonly log: (line: string) => void;

  constructor(private readonly options: RunnerOptions) {
    this.runId = options.runId ?? randomBytes(3).toString('hex');
    this.log = options.log ?? (() => undefined);
  }

  async start(apps: MarathonApp[]): Promise<RunningInstance[]> {
    const volumeRoot = resolve(this.options.runDir, 'volumes');
    const plans = apps.flatMap((app) => planInstances(app, this.runId, this.options.env, volumeRoot));
    // A process's stand-in for a named volume; containers get the named volume itself.
    if (this.options.mode === 'processes')
      for (const volume of plans.flatMap((plan) => plan.volumes)) mkdirSync(volume.local, { recursive: true });
    const { docker } = this.options;
    if (this.options.mode === 'containers') {
      if (!docker) throw new Error('the container runner needs a Docker engine');
      // As a Marathon agent does: an image the engine lacks is pulled from its registry (never from Docker Hub here).
      for (const image of new Set(plans.map((plan) => plan.image))) {
        if (await hasImage(docker, image)) continue;
        const registry = registryOf(image);
        if (!registry) throw new Error(`image ${image} is missing: run 'fleet images build'`);
        this.log(`${image} is not in the engine: pulling it from ${registry}`);
        const ms = await pullImage(docker, image);
        this.log(`pulled ${image} in ${ms} ms`);
      }
    }
    try {
      for (const plan of plans) {
        const logFile = resolve(this.options.runDir, 'fleet', `${plan.instanceId}.log`);
        const instance =
          this.options.mode === 'containers'
            ? await launchContainer(docker!, plan, { runId: this.runId, logFile })
            : launchProcess(plan, { root: this.options.root, logFile });
        this.instances.push(instance);
        this.record();
        this.log(
          `${plan.instanceId}: started as a ${this.options.mode === 'containers' ? 'container' : 'process'} (log ${logFile})`,
        );
      }
      return await Promise.all(this.instances.map((instance) => this.untilReady(instance)));
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  /** The run's file, `<runDir>/fleet/run-<id>.json`: what it launched, for cleaning up after a runner that was killed. */
  get recordFile(): string {
    return resolve(this.options.runDir, 'fleet', `run-${this.runId}.json`);
  }

  private record(): void {
    const launched = this.instances.map((instance) => ({ instanceId: instance.plan.instanceId, ...instance.ref }));
    writeFileSync(this.recordFile, `${JSON.stringify({ runId: this.runId, mode: this.options.mode, launched }, null, 2)}\n`);
  }

  private async untilReady(instance: Instance): Promise<RunningInstance> {
    const { plan } = instance;
    const deadline = Date.now() + (this.options.startTimeoutMs ?? 120_000);
    for (;;) {
      if (instance.hasExited()) {
        throw new Error(`${plan.instanceId} exited with ${await instance.exited} before passing in Consul:\n${instance.tail()}`);
      }
      const registered = (await passingInstances(this.options.consul, plan.service).catch(() => [])).find(
        (entry) => entry.id === plan.instanceId,
      );
      // The definition's own health check, asked directly, must agree with Consul.
      if (registered && (await answers(`http://127.0.0.1:${registered.port}${plan.healthPath}`))) {
        this.log(`${plan.instanceId}: passing in Consul, ${plan.healthPath} answers on port ${registered.port}`);
        return {
          service: plan.service,
          instanceId: plan.instanceId,
          port: registered.port,
          url: `http://127.0.0.1:${registered.port}`,
          logFile: instance.logFile,
        };
      }
      if (Date.now() > deadline)
        throw new Error(`${plan.instanceId} did not pass in Consul in time; its last output:\n${instance.tail()}`);
      await sleep(250);
    }
  }

  /** Stops every instance at once (each deregisters first) and reports how each one exited. */
  async stop(): Promise<StoppedInstance[]> {
    const running = this.instances.splice(0);
    const stopped = await Promise.all(
      running.map(async (instance) => {
        const { code, ms } = await instance.stop(this.options.stopGraceMs ?? 15_000);
        this.log(`${instance.plan.instanceId}: exited with ${code} after ${ms} ms`);
        return { instanceId: instance.plan.instanceId, code, ms };
      }),
    );
    rmSync(this.recordFile, { force: true });
    return stopped;
  }

  /** Resolves when any instance exits on its own, with that instance's id and code. */
  firstExit(): Promise<{ instanceId: string; code: number | null; tail: string }> {
    return Promise.race(
      this.instances.map((instance) =>
        instance.exited.then((code) => ({ instanceId: instance.plan.instanceId, code, tail: instance.tail() })),
      ),
    );
  }
}

async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
    await response.arrayBuffer();
    return response.status === 200;
  } catch {
    return false;
  }
}
