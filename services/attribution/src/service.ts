import type { ServiceDefinition } from '@mmp/common';
import { AttributionModule } from './app.module';

export const AttributionService: ServiceDefinition = {
  service: 'attribution',
  module: () => AttributionModule,
};
