import type { ServiceDefinition } from '@mmp/common';
import { IngestModule } from './app.module';

export const IngestService: ServiceDefinition = {
  service: 'ingest',
  module: () => IngestModule,
};
