import type { RawReportsConfig } from '../config';
import { FsRawStore } from './fs-raw-store';
import type { RawStore } from './raw-store';
import { S3RawStore } from './s3-raw-store';

/** The lake's store chosen by configuration (RAW_STORE); the local file system is the default. */
export function createRawStore(config: RawReportsConfig): RawStore {
  if (config.RAW_STORE === 's3') {
    return new S3RawStore({
      endpoint: config.S3_ENDPOINT,
      region: config.S3_REGION,
      bucket: config.S3_BUCKET,
      prefix: config.S3_PREFIX,
      accessKeyId: config.S3_ACCESS_KEY_ID,
      secretAccessKey: config.S3_SECRET_ACCESS_KEY,
    });
  }
  return new FsRawStore(config.RAW_REPORTS_DIR);
}
