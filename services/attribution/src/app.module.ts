import { Inject, Injectable, Module, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import {
  FleetContext,
  HeldDrainer,
  HeldQueue,
  TOPIC_PARTITIONS,
  TOPICS,
  Watermark,
  type StreamConsumer,
  type StreamProducer,
  type StreamTransport,
} from '@mmp/common';
import { AttributionIntake } from './consumer/attribution-intake';
import { RawEventsController } from './consumer/raw-events.controller';
import { Decider } from './decide/decider';
import { decideHeld } from './decide/held-installs';
import { windowsOf, type AppWindowFields, type AppWindows } from './domain/windows';
import { AttributedWriter } from './producer/attributed.writer';
import type { AttributionConfig } from './service';
import { DecisionStore } from './store/decision.store';
import { DeviceStore } from './store/device.store';
import { TouchStore } from './store/touch.store';

type AttributionContext = FleetContext<AttributionConfig>;

/** What the module and the transport share: built once per booted context. */
export interface AttributionRuntime {
  watermark: Watermark;
  transport?: StreamTransport<unknown>;
}

const runtimes = new WeakMap<FleetContext, AttributionRuntime>();

export function runtimeOf(context: AttributionContext): AttributionRuntime {
  let runtime = runtimes.get(context);
  if (!runtime) {
    runtime = { watermark: new Watermark(context.redis, context.config.own.ATTRIBUTION_GROUP, TOPICS.raw) };
    runtimes.set(context, runtime);
  }
  return runtime;
}

const PRODUCER = Symbol('producer');
const WINDOWS = Symbol('windows');

/** The windows in force for an app now: read from the apps registry at each decision (contracts §2). */
type WindowsOf = (appId: string) => AppWindows;

@Injectable()
class AttributionLifecycle implements OnModuleInit, OnApplicationShutdown {
  constructor(
    @Inject(FleetContext) private readonly context: AttributionContext,
    @Inject(PRODUCER) private readonly producer: StreamProducer,
    private readonly drainer: HeldDrainer,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.producer.connect();
    this.context.health.register('held-work', () => this.drainer.check());
    this.drainer.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.drainer.stop();
    await this.producer.disconnect().catch(() => undefined);
  }
}

@Module({
  controllers: [RawEventsController],
  providers: [
    { provide: PRODUCER, inject: [FleetContext], useFactory: (context: AttributionContext) => context.kafka.producer() },
    {
      provide: WINDOWS,
      inject: [FleetContext],
      useFactory:
        (context: AttributionContext): WindowsOf =>
        (appId) =>
          windowsOf(context.apps.get(appId) as AppWindowFields | undefined),
    },
    {
      provide: AttributedWriter,
      inject: [PRODUCER],
      useFactory: (producer: StreamProducer) => new AttributedWriter(producer),
    },
    {
      provide: HeldQueue,
      inject: [FleetContext],
      useFactory: (context: AttributionContext) => new HeldQueue(context.redis, context.config.own.ATTRIBUTION_GROUP, TOPICS.raw),
    },
    {
      provide: Decider,
      inject: [FleetContext, WINDOWS],
      useFactory: (context: AttributionContext, windows: WindowsOf) => {
        const prefix = context.config.own.ATTRIBUTION_KEY_PREFIX;
        return new Decider(
          new TouchStore(context.redis, prefix),
          new DeviceStore(context.redis, prefix),
          new DecisionStore(context.redis, prefix, context.config.own.ATTRIBUTION_DECISION_TTL_DAYS * 24 * 3600 * 1000),
          windows,
          context.metrics,
        );
      },
    },
    {
      provide: HeldDrainer,
      inject: [FleetContext, HeldQueue, Decider, AttributedWriter],
      useFactory: (context: AttributionContext, queue: HeldQueue, decider: Decider, writer: AttributedWriter) => {
        const runtime = runtimeOf(context);
        return new HeldDrainer({
          queue,
          watermark: runtime.watermark,
          partitionCount: TOPIC_PARTITIONS,
          graceMs: context.config.own.ATTRIBUTION_GRACE_MS,
          owner: context.config.instanceId,
          ownedPartitions: () => runtime.transport?.unwrap<StreamConsumer<unknown> | undefined>()?.assignedPartitions() ?? [],
          handle: decideHeld(decider, writer, context.metrics),
          logger: context.logger.child({ component: 'held-drainer' }),
        });
      },
    },
    {
      provide: AttributionIntake,
      inject: [FleetContext, HeldQueue, HeldDrainer, WINDOWS, AttributedWriter],
      useFactory: (
        context: AttributionContext,
        queue: HeldQueue,
        drainer: HeldDrainer,
        windows: WindowsOf,
        writer: AttributedWriter,
      ) =>
        new AttributionIntake(
          runtimeOf(context).watermark,
          queue,
          drainer,
          new TouchStore(context.redis, context.config.own.ATTRIBUTION_KEY_PREFIX),
          writer,
          windows,
          context.metrics,
          { partitionCount: TOPIC_PARTITIONS, graceMs: context.config.own.ATTRIBUTION_GRACE_MS },
        ),
    },
    AttributionLifecycle,
  ],
})
export class AttributionModule {}
