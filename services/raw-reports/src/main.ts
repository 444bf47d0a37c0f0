import { runService } from '@mmp/common';
import { RawReportsService } from './service';

runService(RawReportsService);
