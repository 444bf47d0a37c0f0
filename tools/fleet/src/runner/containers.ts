import type Docker from 'dockerode';
import { PassThrough } from 'node:stream';
import type { Instance } from './instance';
import { OutputSink } from './instance';
import type { InstancePlan } from './plan';

export const RUN_LABEL = 'mmp.fleet.run';

/**
 * Runs an instance as a container, as Marathon's Docker containerizer would with host networking:
 * the definition's image, args as the command, its env. Never the bridge network.
 */
export async function launchContainer(
  docker: Docker,
  plan: InstancePlan,
  options: { runId: string; logFile: string },
): Promise<Instance> {
  const sink = new OutputSink(options.logFile);
  const container = await docker.createContainer({
    name: plan.instanceId,
    Image: plan.image,
    Cmd: plan.args,
    Env: Object.entries(plan.env).map(([key, value]) => `${key}=${value}`),
    Labels: { [RUN_LABEL]: options.runId, 'mmp.service': plan.service },
    // As the definitions ask Marathon (docker parameter init=true): tini as PID 1 forwards signals to node.
    HostConfig: {
      NetworkMode: 'host',
      Init: true,
      // Named volumes, as the definition's docker parameters ask: Docker creates one owned like the image's directory.
      Binds: plan.volumes.map((volume) => `${volume.name}:${volume.containerPath}:rw`),
    },
  });
  // next-exit: the default (not-running) would answer at once for a container not started yet.
  const waited = container.wait({ condition: 'next-exit' });
  await container.start();
  const logs = (await container.logs({ follow: true, stdout: true, stderr: true })) as unknown as NodeJS.ReadableStream;
  const out = new PassThrough();
  out.on('data', (chunk: Buffer) => sink.write(chunk));
  docker.modem.demuxStream(logs, out, out);
  const exited = waited.then(
    (result: { StatusCode: number }) => result.StatusCode,
    () => null,
  );
  let exitedYet = false;
  void exited.then(() => (exitedYet = true));
  return {
    plan,
    logFile: options.logFile,
    ref: { containerId: container.id },
    exited,
    hasExited: () => exitedYet,
    tail: () => sink.tail(),
    async stop(graceMs) {
      const started = Date.now();
      if (!exitedYet) await container.stop({ t: Math.ceil(graceMs / 1000) }).catch(() => undefined);
      const code = await exited;
      const ms = Date.now() - started;
      (logs as unknown as { destroy?: () => void }).destroy?.();
      await sink.close();
      await container.remove({ force: true }).catch(() => undefined);
      return { code, ms };
    },
  };
}

/** Removes every container a run (or, without a run id, any run) left behind. */
export async function removeRunContainers(docker: Docker, runId?: string): Promise<number> {
  const containers = await docker.listContainers({
    all: true,
    filters: { label: [runId ? `${RUN_LABEL}=${runId}` : RUN_LABEL] },
  });
  await Promise.all(
    containers.map((info) =>
      docker
        .getContainer(info.Id)
        .remove({ force: true })
        .catch(() => undefined),
    ),
  );
  return containers.length;
}
