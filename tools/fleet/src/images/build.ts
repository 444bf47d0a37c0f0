import type Docker from 'dockerode';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pack } from 'tar-fs';
import type { ServiceName } from '@mmp/common';
import { bundlePath, EMPTY_CONTEXT_DIR, imageName, imageRepository } from '../definitions/fleet';
import { hasImage } from '../docker/engine';

import { LOCAL_BASE, REGISTRY_BASE } from '../runtime';

/** The files a service's image is built from: nothing else of the repository is sent to the engine. */
export function contextEntries(service: ServiceName): string[] {
  return [`deploy/docker/${service}.Dockerfile`, 'deploy/docker/healthcheck.js', bundlePath(service)];
}

/**
 * BASE_IMAGE to pass: an explicit choice wins; the public image when the engine has it; else the
 * local base made by infra/docker.sh. Undefined keeps the Dockerfile's default.
 */
export async function chooseBase(docker: Docker, explicit = process.env.BASE_IMAGE): Promise<string | undefined> {
  if (explicit) return explicit;
  if (await hasImage(docker, REGISTRY_BASE)) return undefined;
  if (await hasImage(docker, LOCAL_BASE)) return LOCAL_BASE;
  throw new Error(`neither ${REGISTRY_BASE} nor ${LOCAL_BASE} is in the engine: run 'bash infra/docker.sh up' (or 'base')`);
}

interface BuildEvent {
  stream?: string;
  status?: string;
  error?: string;
  errorDetail?: { message?: string };
  aux?: { ID?: string };
}

export interface BuildResult {
  service: ServiceName;
  images: string[];
  ms: number;
  cachedSteps: number;
  steps: number;
}

export async function buildImage(
  docker: Docker,
  root: string,
  service: ServiceName,
  options: { prefix: string; tags: string[]; baseImage?: string; onLine?: (line: string) => void },
): Promise<BuildResult> {
  for (const entry of contextEntries(service)) {
    if (!existsSync(resolve(root, entry))) {
      throw new Error(`${entry} is missing: run 'npm run build' (bundles) and 'fleet definitions' (Dockerfiles)`);
    }
  }
  const started = Date.now();
  // Fixed owner and time: the context's checksums then depend on content alone, and so does the cache.
  const context = pack(root, {
    entries: contextEntries(service),
    map: (header) => ({ ...header, uid: 0, gid: 0, uname: 'root', gname: 'root', mtime: new Date(0) }),
    // Plus an empty directory, the source of volume mount points (COPY --chown; the base has no shell).
    finalize: false,
    finish: (archive) => {
      archive.entry({ name: EMPTY_CONTEXT_DIR, type: 'directory', mode: 0o755, uid: 0, gid: 0, mtime: new Date(0) });
      archive.finalize();
    },
  });
  const [first, ...others] = options.tags.map((tag) => imageName(options.prefix, service, tag));
  const stream = await docker.buildImage(context as unknown as NodeJS.ReadableStream, {
    t: first,
    dockerfile: `deploy/docker/${service}.Dockerfile`,
    buildargs: options.baseImage ? { BASE_IMAGE: options.baseImage } : {},
    labels: { 'mmp.service': service, 'org.opencontainers.image.revision': options.tags[0] },
    rm: true,
    forcerm: true,
  });
  let steps = 0;
  let cachedSteps = 0;
  await new Promise<void>((done, fail) => {
    docker.modem.followProgress(
      stream,
      (error: Error | null, events: BuildEvent[]) => {
        const failed = error ?? events.find((event) => event.error);
        if (failed) fail(new Error(`building ${first} failed: ${failed instanceof Error ? failed.message : failed.error}`));
        else done();
      },
      (event: BuildEvent) => {
        for (const line of (event.stream ?? event.status ?? '').split('\n')) {
          const text = line.trim();
          if (!text) continue;
          if (/^Step \d+\/\d+/.test(text)) steps++;
          if (text === '---> Using cache') cachedSteps++;
          options.onLine?.(text);
        }
      },
    );
  });
  const image = docker.getImage(first);
  for (const name of others) {
    const at = name.lastIndexOf(':');
    await image.tag({ repo: name.slice(0, at), tag: name.slice(at + 1) });
  }
  return { service, images: [first, ...others], ms: Date.now() - started, cachedSteps, steps };
}

/**
 * Removes all but the newest `keep` images of a service: with the vfs driver every build of a changed
 * bundle holds a full copy of the file system, and a cache that only grows fills the disk.
 */
export async function pruneImages(docker: Docker, prefix: string, service: ServiceName, keep: number): Promise<string[]> {
  const images = await docker.listImages({ filters: { reference: [imageRepository(prefix, service)] } });
  const removed: string[] = [];
  for (const image of images.sort((a, b) => b.Created - a.Created).slice(keep)) {
    for (const tag of image.RepoTags ?? []) {
      // An image a container still uses stays; Docker refuses to remove it.
      if (
        await docker
          .getImage(tag)
          .remove()
          .then(
            () => true,
            () => false,
          )
      )
        removed.push(tag);
    }
  }
  return removed;
}
