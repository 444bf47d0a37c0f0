import { runService } from '@mmp/common';
import { AggregatesService } from './service';

runService(AggregatesService);
