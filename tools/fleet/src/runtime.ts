import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * The Node the fleet runs on, pinned in the repository's .node-version: scripts/node-runtime.sh
 * provisions it for the scripts and tests, and the images are built on the same version.
 */
export const NODE_VERSION = readFileSync(resolve(__dirname, '..', '..', '..', '.node-version'), 'utf8').trim();

/** The public image of exactly that version, used when the engine has it. */
export const REGISTRY_BASE = `node:${NODE_VERSION}-bookworm-slim`;
/** Made by infra/docker.sh from the provisioned Node where no registry answers. */
export const LOCAL_BASE = `mmp/node-base:${NODE_VERSION}`;
