import { Inject, Injectable, Module, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { FleetContext } from '@mmp/common';
import type { RawReportsConfig } from './config';
import { AttributedEventsHandler } from './consumer/attributed-events.handler';
import { RawExportController } from './http/raw-export.controller';
import { EventIdIndex } from './store/event-id-index';
import { FsRawStore } from './store/fs-raw-store';
import { RawLake } from './store/raw-lake';

type RawReportsContext = FleetContext<RawReportsConfig>;

/** Background work on the lake: compaction of the days just written, retention and sweeping. */
@Injectable()
class LakeMaintenance implements OnModuleInit, OnApplicationShutdown {
  private timers: NodeJS.Timeout[] = [];
  private running?: Promise<unknown>;

  constructor(
    @Inject(FleetContext) private readonly context: RawReportsContext,
    private readonly lake: RawLake,
  ) {}

  onModuleInit(): void {
    const own = this.context.config.own;
    const every = (ms: number, work: () => Promise<unknown>) => {
      const timer = setInterval(() => {
        this.running ??= work()
          .catch((error) => this.context.logger.warn({ err: (error as Error).message }, 'lake_maintenance_failed'))
          .finally(() => (this.running = undefined));
      }, ms);
      timer.unref();
      this.timers.push(timer);
    };
    every(own.RAW_REPORTS_COMPACT_INTERVAL_MS, () => this.lake.compactTouched());
    every(own.RAW_REPORTS_RETENTION_INTERVAL_MS, () => this.lake.maintain());
  }

  async onApplicationShutdown(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    await this.running;
  }
}

@Module({
  controllers: [RawExportController, AttributedEventsHandler],
  providers: [
    {
      provide: RawLake,
      inject: [FleetContext],
      useFactory: (context: RawReportsContext) => {
        const own = context.config.own;
        return new RawLake(
          new FsRawStore(own.RAW_REPORTS_DIR),
          new EventIdIndex(context.redis, own.RAW_REPORTS_REDIS_PREFIX, own.RAW_REPORTS_INDEX_TTL_DAYS * 86_400),
          {
            retentionDays: own.RAW_REPORTS_RETENTION_DAYS,
            compactMinSegments: own.RAW_REPORTS_COMPACT_MIN_SEGMENTS,
            logger: context.logger.child({ component: 'lake' }),
            metrics: context.metrics,
          },
        );
      },
    },
    LakeMaintenance,
  ],
})
export class RawReportsModule {}
