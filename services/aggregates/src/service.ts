import type { ServiceDefinition } from '@mmp/common';
import { AggregatesModule } from './app.module';

export const AggregatesService: ServiceDefinition = {
  service: 'aggregates',
  module: () => AggregatesModule,
};
