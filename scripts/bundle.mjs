// One bundled file per service (the Node counterpart of an uberjar): dist/bundles/<service>.js.
import { build } from 'esbuild';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const services = ['ingest', 'attribution', 'raw-reports', 'aggregates'];
mkdirSync(resolve(root, 'dist/bundles'), { recursive: true });

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
console.error(`[bundle] ${services.length} bundles in dist/bundles`);
