import { runService } from '@mmp/common';
import { IngestService } from './service';

runService(IngestService);
