import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { DEFAULT_VERSION } from './definitions/fleet';

/** The repository root (this file is tools/fleet/dist/paths.js once built). */
export const ROOT = resolve(__dirname, '..', '..', '..');
export const RUN_DIR = resolve(ROOT, process.env.MMP_RUN_DIR ?? '.run');

/** The revision images are tagged with and deployments are known by: MMP_VERSION, else git's short sha. */
export function currentRevision(root: string = ROOT): string {
  if (process.env.MMP_VERSION) return process.env.MMP_VERSION;
  try {
    return execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return DEFAULT_VERSION;
  }
}
