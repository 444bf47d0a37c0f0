import { StreamTransport, TOPICS, type ServiceDefinition } from '@mmp/common';
import { RawReportsModule } from './app.module';
import { rawReportsConfig } from './config';
import { rawReportsEventDecoder } from './consumer/attributed-event.decoder';

export { rawReportsConfig, type RawReportsConfig } from './config';

export const RawReportsService: ServiceDefinition<typeof rawReportsConfig> = {
  service: 'raw-reports',
  ownConfig: rawReportsConfig,
  module: () => RawReportsModule,
  transports: (fleet) => [
    new StreamTransport(fleet, {
      groupId: fleet.config.own.RAW_REPORTS_GROUP,
      topic: TOPICS.attributed,
      decoder: rawReportsEventDecoder,
    }),
  ],
};
