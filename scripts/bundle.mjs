// One bundled file per service (the Node counterpart of an uberjar): dist/bundles/<service>.js.
import { build } from 'esbuild';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const services = ['ingest', 'attribution', 'raw-reports', 'aggregates'];
mkdirSync(resolve(root, 'dist/bundles'), { recursive: true });

// The aggregates dashboard's browser page, first: the tsc-built service serves it from
// services/aggregates/dist/dashboard/public, and the aggregates bundle embeds it (define below),
// so an image, which holds only the bundle, serves it too. Nothing is fetched from a CDN.
const dashboardSource = resolve(root, 'services/aggregates/src/dashboard/web');
const dashboardOut = resolve(root, 'services/aggregates/dist/dashboard/public');
mkdirSync(dashboardOut, { recursive: true });
await build({
  entryPoints: [resolve(dashboardSource, 'main.ts'), resolve(dashboardSource, 'dashboard.css')],
  outdir: dashboardOut,
  entryNames: 'dashboard',
  bundle: true,
  platform: 'browser',
  format: 'iife',
  target: ['chrome109', 'firefox115', 'safari15'],
  minify: true,
  // Chart.js's MIT notice stays with the code it covers.
  legalComments: 'eof',
  logLevel: 'warning',
});
copyFileSync(resolve(dashboardSource, 'index.html'), resolve(dashboardOut, 'index.html'));
const dashboardAssets = Object.fromEntries(
  ['index.html', 'dashboard.js', 'dashboard.css'].map((name) => [name, readFileSync(resolve(dashboardOut, name), 'utf8')]),
);

await Promise.all(
  services.map((service) =>
    build({
      entryPoints: [resolve(root, 'services', service, 'dist', 'main.js')],
      outfile: resolve(root, 'dist/bundles', `${service}.js`),
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      minify: false,
      sourcemap: 'linked',
      legalComments: 'none',
      logLevel: 'warning',
      // A string literal (JSON of the files): esbuild inlines it where it is used.
      define: service === 'aggregates' ? { MMP_DASHBOARD_ASSETS: JSON.stringify(JSON.stringify(dashboardAssets)) } : {},
      // Nest loads these lazily and only when they are installed; none is used here.
      external: [
        '@nestjs/websockets',
        '@nestjs/websockets/*',
        '@nestjs/platform-express',
        'class-transformer',
        'class-transformer/*',
        'class-validator',
        '@grpc/grpc-js',
        '@grpc/proto-loader',
        'amqplib',
        'amqp-connection-manager',
        'mqtt',
        'nats',
        'ioredis',
        '@fastify/static',
        '@fastify/view',
        'unix-dgram',
      ],
    }),
  ),
);

// Each bundle must load on its own: a module left out (or marked external by mistake) fails here,
// not in a container. An invalid LOG_LEVEL stops the service right after every module has loaded.
const smoke = (service) =>
  new Promise((done, fail) =>
    execFile(
      process.execPath,
      [resolve(root, 'dist/bundles', `${service}.js`)],
      { env: { PATH: process.env.PATH, LOG_LEVEL: 'bundle-check' }, timeout: 30_000 },
      (error, stdout, stderr) =>
        stderr.includes(`${service}: invalid configuration`)
          ? done()
          : fail(new Error(`dist/bundles/${service}.js does not load:\n${stderr || error?.message}`)),
    ),
  );
await Promise.all(services.map(smoke));
console.error(`[bundle] ${services.length} bundles in dist/bundles, each loads on its own`);
