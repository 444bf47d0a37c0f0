import Docker from 'dockerode';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { connectDocker, removeRunContainers, RUN_DIR } from '@mmp/fleet';
import { run } from './cli';

export interface Engine {
  docker: Docker;
  host: string;
}

/**
 * Makes sure Kafka, Consul, Redis and StatsD answer (a no-op when they do): other test files stop and
 * restart parts of the infrastructure, and a fleet cannot pass its health checks without them.
 */
export async function infraUp(): Promise<void> {
  const up = await run('bash', ['infra/infra.sh', 'up'], { timeoutMs: 300_000 });
  if (up.code !== 0) throw new Error(`infra/infra.sh up failed:\n${up.stderr}`);
}

/** Starts (or finds) the Docker engine through the project's own script, as a user would. */
export async function dockerUp(): Promise<Engine> {
  await infraUp();
  const up = await run('bash', ['infra/docker.sh', 'up'], { timeoutMs: 300_000 });
  if (up.code !== 0) throw new Error(`infra/docker.sh up failed:\n${up.stderr}`);
  const env = await run('bash', ['infra/docker.sh', 'env']);
  const host = env.stdout.match(/DOCKER_HOST=(\S+)/)?.[1];
  if (!host) throw new Error(`infra/docker.sh env printed no DOCKER_HOST:\n${env.stdout}${env.stderr}`);
  return { docker: connectDocker(host), host };
}

/** Cleans up after a `fleet up` run that did not stop by itself: its processes (by pid) and containers. */
export async function cleanUpRun(runId: string | undefined, docker?: Docker): Promise<void> {
  if (!runId) return;
  const record = resolve(RUN_DIR, 'fleet', `run-${runId}.json`);
  if (existsSync(record)) {
    const { launched } = JSON.parse(readFileSync(record, 'utf8')) as { launched: { pid?: number }[] };
    for (const { pid } of launched) {
      try {
        if (pid) process.kill(pid, 'SIGKILL');
      } catch {}
    }
  }
  if (docker) await removeRunContainers(docker, runId);
}
