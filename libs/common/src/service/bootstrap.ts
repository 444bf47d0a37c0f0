import 'reflect-metadata';
import { Module, type DynamicModule, type INestApplication, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { CustomTransportStrategy } from '@nestjs/microservices';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { AddressInfo } from 'node:net';
import type { z } from 'zod';
import { ConfigError, loadConfig, type FleetConfig, type ServiceName } from '../config/config';
import { AppsRegistry, ConsulAgent, createConsul } from '../consul/consul';
import { HealthRegistry, redisCheck } from '../health/health';
import { installRequestMetrics, JsonErrorFilter } from '../http/http-edges';
import { kafkaCheck } from '../kafka/kafka-probe';
import { KafkajsStreamClient } from '../kafka/kafkajs.client';
import { createLogger } from '../logging/logger';
import { Metrics } from '../metrics/metrics';
import { closeRedis, connectRedis, createRedis } from '../redis/redis';
import { FleetContext } from './fleet-context';
import { FleetModule } from './fleet.module';
import { NestPinoLogger } from './nest-logger';

export interface ServiceDefinition<Shape extends z.ZodRawShape = Record<never, never>> {
  service: ServiceName;
  /** Service-specific environment variables, validated together with the shared ones. */
  ownConfig?: Shape;
  /** The service's own Nest module; FleetContext is injectable inside it. */
  module(context: FleetContext<z.infer<z.ZodObject<Shape>>>): Type | DynamicModule;
  /** Kafka consumers, as Nest transports (see StreamTransport); their handlers live in the module's controllers. */
  transports?(context: FleetContext<z.infer<z.ZodObject<Shape>>>): CustomTransportStrategy[];
  /** Largest request body, in bytes (Fastify answers 413 beyond it). */
  bodyLimit?: number;
}

export interface RunningService<Own = unknown> {
  app: INestApplication;
  context: FleetContext<Own>;
  /** The port really bound (PORT=0 picks one). */
  port: number;
  url: string;
  /** Contracts §1: deregister, stop taking work, finish what is in flight, release everything. */
  stop(): Promise<void>;
}

class BootedContext<Own> extends FleetContext<Own> {
  constructor(
    readonly config: FleetConfig<Own>,
    readonly logger: FleetContext['logger'],
    readonly metrics: Metrics,
    readonly health: HealthRegistry,
    readonly kafka: FleetContext['kafka'],
    readonly consul: FleetContext['consul'],
    readonly apps: AppsRegistry,
    readonly redis: FleetContext['redis'],
  ) {
    super();
  }
}

export async function bootstrapService<Shape extends z.ZodRawShape = Record<never, never>>(
  definition: ServiceDefinition<Shape>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<RunningService<z.infer<z.ZodObject<Shape>>>> {
  const config = loadConfig(definition.service, env, definition.ownConfig);
  const logger = createLogger(config.service, config.logLevel, { instance: config.instanceId, version: config.version });
  const metrics = new Metrics({ service: config.service, host: config.statsd.host, port: config.statsd.port, logger });
  metrics.startProcessGauges();
  const health = new HealthRegistry();
  const redis = createRedis(config.redisUrl, logger);
  connectRedis(redis);
  health.register('redis', redisCheck(redis));
  health.register('kafka', kafkaCheck(config.kafkaBrokers));
  const kafka = new KafkajsStreamClient({ brokers: config.kafkaBrokers, clientId: config.instanceId, logger });
  const consul = createConsul(config.consul);
  const apps = new AppsRegistry(consul, logger.child({ component: 'apps-registry' }));
  await apps.start();
  const context = new BootedContext(config, logger, metrics, health, kafka, consul, apps, redis);

  @Module({ imports: [FleetModule.forContext(context), definition.module(context)] })
  class RootModule {}

  const adapter = new FastifyAdapter({
    bodyLimit: definition.bodyLimit ?? 1024 * 1024,
    trustProxy: false,
    // Fastify refuses a URL it cannot decode (bad %-encoding) before any hook or Nest filter runs:
    // answer it in our JSON shape here, never with Fastify's own body.
    frameworkErrors: (error: FastifyError, _request: FastifyRequest, reply: FastifyReply) => {
      void reply.code(400).send({ error: 'bad_request', message: error.message });
    },
  });
  const app = await NestFactory.create<NestFastifyApplication>(RootModule, adapter, {
    logger: new NestPinoLogger(logger.child({ component: 'nest' })),
    abortOnError: false,
  });
  const fastify = app.getHttpAdapter().getInstance();
  installRequestMetrics(fastify, metrics);
  app.useGlobalFilters(new JsonErrorFilter(logger));
  for (const strategy of definition.transports?.(context) ?? [])
    app.connectMicroservice({ strategy }, { inheritAppConfig: true });
  await app.startAllMicroservices();
  await app.listen(config.port, config.bindAddress);
  const port = (app.getHttpServer().address() as AddressInfo).port;
  const url = `http://${config.advertiseAddress}:${port}`;

  const agent = new ConsulAgent(consul, logger);
  const registration = {
    id: config.instanceId,
    name: config.service,
    address: config.advertiseAddress,
    port,
    version: config.version,
    deregisterCriticalAfter: config.deregisterCriticalAfter,
  };
  let stopping = false;
  // Consul may answer a moment later than we boot; keep trying rather than die.
  const registered = (async () => {
    for (let attempt = 0; !stopping; attempt++) {
      try {
        await agent.register(registration);
        return true;
      } catch (error) {
        if (attempt % 10 === 0) logger.warn({ err: (error as Error).message }, 'Consul registration failed; retrying');
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
    return false;
  })();

  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      stopping = true;
      if (await registered)
        await agent.deregister(registration.id).catch((error) => logger.warn({ err: error.message }, 'deregistration failed'));
      await app.close();
      apps.stop();
      await closeRedis(redis);
      await metrics.close();
      logger.info('stopped');
    })());

  logger.info({ port, url }, `${config.service} started`);
  return { app, context, port, url, stop };
}

/** The main of every service: boot, stop cleanly on SIGTERM/SIGINT within the contract's 10 s. */
export function runService<Shape extends z.ZodRawShape>(definition: ServiceDefinition<Shape>): void {
  bootstrapService(definition).then(
    (running) => {
      const onSignal = (signal: NodeJS.Signals) => {
        running.context.logger.info({ signal }, 'stopping');
        const deadline = setTimeout(() => {
          running.context.logger.error('shutdown took longer than 9.5 s; exiting');
          process.exit(1);
        }, 9500);
        deadline.unref();
        running.stop().then(
          () => process.exit(0),
          (error) => {
            running.context.logger.error({ err: error }, 'shutdown failed');
            process.exit(1);
          },
        );
      };
      process.once('SIGTERM', onSignal);
      process.once('SIGINT', onSignal);
    },
    (error) => {
      if (error instanceof ConfigError) {
        process.stderr.write(`${error.message}\n`);
      } else {
        process.stderr.write(`${definition.service}: failed to start: ${(error as Error)?.stack ?? error}\n`);
      }
      process.exit(1);
    },
  );
}
