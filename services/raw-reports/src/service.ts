import type { ServiceDefinition } from '@mmp/common';
import { RawReportsModule } from './app.module';

export const RawReportsService: ServiceDefinition = {
  service: 'raw-reports',
  module: () => RawReportsModule,
};
