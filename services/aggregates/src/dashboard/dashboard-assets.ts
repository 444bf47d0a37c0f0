import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/** The built page's files, by the name they are served under (below /dashboard/). */
export const DASHBOARD_FILES = {
  'index.html': 'text/html; charset=utf-8',
  'dashboard.js': 'text/javascript; charset=utf-8',
  'dashboard.css': 'text/css; charset=utf-8',
} as const;

export type DashboardFile = keyof typeof DASHBOARD_FILES;

export interface DashboardAsset {
  body: Buffer;
  contentType: string;
  etag: string;
}

/**
 * scripts/bundle.mjs defines this in the service bundle: the page's files as one JSON text, so that the
 * one bundled file (all an image holds) serves the page. The tsc build leaves it undefined and
 * reads the files that bundle.mjs wrote next to this module, in dist/dashboard/public.
 */
declare const MMP_DASHBOARD_ASSETS: string | undefined;

export function loadDashboardAssets(directory = resolve(__dirname, 'public')): Map<DashboardFile, DashboardAsset> | undefined {
  const embedded: Partial<Record<DashboardFile, string>> | undefined =
    typeof MMP_DASHBOARD_ASSETS === 'undefined' ? undefined : JSON.parse(MMP_DASHBOARD_ASSETS);
  const assets = new Map<DashboardFile, DashboardAsset>();
  for (const [name, contentType] of Object.entries(DASHBOARD_FILES) as [DashboardFile, string][]) {
    let body: Buffer;
    try {
      body = embedded?.[name] !== undefined ? Buffer.from(embedded[name]!, 'utf8') : readFileSync(resolve(directory, name));
    } catch {
      return undefined;
    }
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
    assets.set(name, { body, contentType, etag });
  }
  return assets;
}
