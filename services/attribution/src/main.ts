import { runService } from '@mmp/common';
import { AttributionService } from './service';

runService(AttributionService);
