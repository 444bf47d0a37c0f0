import Docker from 'dockerode';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { RUN_DIR } from '../paths';

/** The same order as infra/docker.sh: DOCKER_HOST, the system socket, then the private engine's socket. */
export function dockerHost(env: NodeJS.ProcessEnv = process.env, runDir: string = RUN_DIR): string {
  if (env.DOCKER_HOST) return env.DOCKER_HOST;
  if (existsSync('/var/run/docker.sock')) return 'unix:///var/run/docker.sock';
  return `unix://${resolve(runDir, 'docker', 'docker.sock')}`;
}

export function connectDocker(host: string = dockerHost()): Docker {
  if (host.startsWith('unix://')) return new Docker({ socketPath: host.slice('unix://'.length) });
  const url = new URL(host.replace(/^tcp:/, 'http:'));
  return new Docker({ host: url.hostname, port: Number(url.port || 2375), protocol: 'http' });
}

export async function ensureEngine(docker: Docker, host: string): Promise<void> {
  try {
    await docker.ping();
  } catch (error) {
    throw new Error(`no Docker engine answers at ${host} (${(error as Error).message}); run 'bash infra/docker.sh up'`);
  }
}

export async function hasImage(docker: Docker, name: string): Promise<boolean> {
  try {
    await docker.getImage(name).inspect();
    return true;
  } catch {
    return false;
  }
}
