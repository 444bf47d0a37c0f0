import type Docker from 'dockerode';
import type { ServiceName } from '@mmp/common';
import { registryOf } from '../config/fleet-config';
import { imageName, imageRepository } from '../definitions/fleet';

interface ProgressEvent {
  status?: string;
  id?: string;
  error?: string;
  errorDetail?: { message?: string };
  aux?: { Digest?: string };
}

/** Follows a push or pull stream to its end; fails with the engine's own error message. */
function follow(docker: Docker, stream: NodeJS.ReadableStream, onEvent: (event: ProgressEvent) => void): Promise<void> {
  return new Promise((done, fail) => {
    docker.modem.followProgress(
      stream,
      (error: Error | null, events: ProgressEvent[]) => {
        const failed = error?.message ?? events.find((event) => event.error)?.error;
        if (failed) fail(new Error(failed));
        else done();
      },
      onEvent,
    );
  });
}

/** Fails clearly unless the prefix names a registry (not Docker Hub by accident) and that registry answers. */
export async function requireRegistry(prefix: string): Promise<string> {
  const registry = registryOf(prefix);
  if (!registry)
    throw new Error(
      `the image prefix '${prefix}' names no registry host (e.g. registry.example:5000/mmp): refusing to push to Docker Hub`,
    );
  try {
    const response = await fetch(`http://${registry}/v2/`, { signal: AbortSignal.timeout(3000) });
    await response.arrayBuffer();
    if (response.status !== 200 && response.status !== 401) throw new Error(`answered ${response.status}`);
  } catch (error) {
    throw new Error(
      `no registry answers at ${registry} (${(error as Error).message}); on this machine run 'bash infra/registry.sh up'`,
    );
  }
  return registry;
}

export interface PushResult {
  image: string;
  digest: string | undefined;
  ms: number;
}

/** Pushes `<prefix>/<service>:<tag>`, which `fleet images build` made, to the prefix's registry. */
export async function pushImage(
  docker: Docker,
  prefix: string,
  service: ServiceName,
  tag: string,
  onLine?: (line: string) => void,
): Promise<PushResult> {
  const image = imageName(prefix, service, tag);
  const started = Date.now();
  try {
    await docker.getImage(image).inspect();
  } catch {
    throw new Error(`image ${image} is not in the engine: run 'fleet images build --tag ${tag}' first`);
  }
  let digest: string | undefined;
  const stream = (await docker.getImage(imageRepository(prefix, service)).push({ tag })) as NodeJS.ReadableStream;
  await follow(docker, stream, (event) => {
    if (event.aux?.Digest) digest = event.aux.Digest;
    // Per-layer lines, without the byte-by-byte progress.
    if (event.status && event.status !== 'Pushing') onLine?.(`${event.id ? `${event.id}: ` : ''}${event.status}`);
  }).catch((error: Error) => {
    throw new Error(`pushing ${image} failed: ${error.message}`);
  });
  return { image, digest, ms: Date.now() - started };
}

/** Pulls an image as an agent would before it starts a task; fails naming the image and the engine's reason. */
export async function pullImage(docker: Docker, image: string, onLine?: (line: string) => void): Promise<number> {
  const started = Date.now();
  try {
    const stream = (await docker.pull(image)) as NodeJS.ReadableStream;
    await follow(docker, stream, (event) => {
      if (event.status && !/^(Downloading|Extracting|Waiting)$/.test(event.status))
        onLine?.(`${event.id ? `${event.id}: ` : ''}${event.status}`);
    });
  } catch (error) {
    throw new Error(
      `image ${image} is missing and could not be pulled (${(error as Error).message}): run 'fleet images build' and 'fleet images push'`,
    );
  }
  return Date.now() - started;
}
