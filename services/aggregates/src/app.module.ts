import { Module } from '@nestjs/common';
import { FleetContext } from '@mmp/common';
import { CountingController } from './consumer/counting.controller';
import { DashboardController } from './dashboard/dashboard.controller';
import { EventCounting } from './consumer/event-counting';
import { AggregatesController } from './http/aggregates.controller';
import type { AggregatesConfig } from './service';
import { CountersStore } from './store/counters.store';

type AggregatesContext = FleetContext<AggregatesConfig>;

@Module({
  controllers: [AggregatesController, CountingController, DashboardController],
  providers: [
    {
      provide: CountersStore,
      inject: [FleetContext],
      useFactory: (context: AggregatesContext) =>
        new CountersStore(context.redis, {
          prefix: context.config.own.AGGREGATES_KEY_PREFIX,
          countedIdsRetentionDays: context.config.own.COUNTED_IDS_RETENTION_DAYS,
          // A cell must not expire before the ids that guard it, or a replay would count into an empty cell.
          countersRetentionDays: Math.max(
            context.config.own.COUNTERS_RETENTION_DAYS,
            context.config.own.COUNTED_IDS_RETENTION_DAYS,
          ),
        }),
    },
    {
      provide: EventCounting,
      inject: [FleetContext, CountersStore],
      useFactory: (context: AggregatesContext, store: CountersStore) => new EventCounting(store, context.metrics),
    },
  ],
})
export class AggregatesModule {}
