import { Inject, Injectable, Module, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { FleetContext, kafkaCheck, TOPICS, type StreamProducer } from '@mmp/common';
import { resolve } from 'node:path';
import { ClickController, ImpressionController } from './http/click.controller';
import { EventsController } from './http/events.controller';
import { RequestOrigin } from './http/request-origin';
import { ClickIntake } from './intake/click-intake';
import { EventIntake } from './intake/event-intake';
import { EventWriter } from './producer/event-writer';
import { SendBudget } from '@mmp/common';
import type { IngestConfig } from './service';
import { EventIdDedupe } from './store/event-id-dedupe';
import { SpoolDirectory } from './store/spool/spool-directory';

const PRODUCER = Symbol('producer');

type IngestContext = FleetContext<IngestConfig>;

/** Starts the writer before the port opens and stops it after the last request is answered. */
@Injectable()
class IngestLifecycle implements OnModuleInit, OnApplicationShutdown {
  constructor(
    @Inject(FleetContext) private readonly context: IngestContext,
    private readonly writer: EventWriter,
    private readonly intake: EventIntake,
    @Inject(PRODUCER) private readonly producer: StreamProducer,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.writer.start(5000);
    const reachable = kafkaCheck(this.context.config.kafkaBrokers);
    this.context.health.register('kafka', async () => this.writer.kafkaHealth(await reachable()));
    this.context.health.register('spool', () => this.writer.spoolHealth());
    // Booted while Consul was down, the registry is empty and every app would get 404: not ready until it loaded once.
    const apps = this.context.apps;
    this.context.health.register('apps', () =>
      apps.isLoaded()
        ? { status: 'passing' }
        : { status: 'critical', detail: 'the apps registry has not loaded from Consul yet' },
    );
  }

  async onApplicationShutdown(): Promise<void> {
    await this.intake.drain();
    await this.writer.close();
    await this.producer.disconnect().catch(() => undefined);
  }
}

@Module({
  controllers: [EventsController, ClickController, ImpressionController],
  providers: [
    {
      provide: RequestOrigin,
      inject: [FleetContext],
      useFactory: (context: IngestContext) => new RequestOrigin(context.config.own.TRUST_PROXY),
    },
    {
      provide: PRODUCER,
      inject: [FleetContext],
      // Not idempotent: after an outage a fresh send must never be mistaken for a retry of a lost one; duplicates are cheap, losses are not.
      useFactory: (context: IngestContext) => context.kafka.producer({ idempotent: false, retries: 2 }),
    },
    {
      provide: SpoolDirectory,
      inject: [FleetContext],
      useFactory: (context: IngestContext) =>
        SpoolDirectory.open(
          resolve(context.config.own.SPOOL_DIR),
          context.config.instanceId,
          { maxBytes: context.config.own.SPOOL_MAX_BYTES },
          context.logger.child({ component: 'spool' }),
        ),
    },
    {
      provide: EventWriter,
      inject: [FleetContext, PRODUCER, SpoolDirectory],
      useFactory: (context: IngestContext, producer: StreamProducer, directory: SpoolDirectory) =>
        new EventWriter(producer, directory, {
          topic: TOPICS.raw,
          produceTimeoutMs: context.config.own.KAFKA_PRODUCE_TIMEOUT_MS,
          budget: new SendBudget(context.config.own.KAFKA_MAX_MESSAGE_BYTES),
          logger: context.logger.child({ component: 'event-writer' }),
          onProduced: (ms) => context.metrics.timing('kafka.produce_ms', ms),
        }),
    },
    {
      provide: EventIdDedupe,
      inject: [FleetContext],
      useFactory: (context: IngestContext) => new EventIdDedupe(context.redis),
    },
    {
      provide: EventIntake,
      inject: [FleetContext, EventIdDedupe, EventWriter],
      useFactory: (context: IngestContext, dedupe: EventIdDedupe, writer: EventWriter) =>
        new EventIntake(context.apps, dedupe, writer, context.metrics, context.logger.child({ component: 'event-intake' })),
    },
    {
      provide: ClickIntake,
      inject: [FleetContext, EventWriter],
      useFactory: (context: IngestContext, writer: EventWriter) =>
        new ClickIntake(context.apps, writer, context.metrics, context.logger.child({ component: 'click-intake' })),
    },
    IngestLifecycle,
  ],
})
export class IngestModule {}
