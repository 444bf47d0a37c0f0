import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe } from 'node:test';
import { FsRawStore } from '@mmp/raw-reports/dist/store/fs-raw-store';
import { S3RawStore } from '@mmp/raw-reports/dist/store/s3-raw-store';
import { uniqueId } from '../support/infra';
import { rawStoreContract } from './raw-store.contract';
import { S3_TEST } from './raw-reports-s3';

describe('RawStore contract: the local file system', () => {
  rawStoreContract(() => new FsRawStore(mkdtempSync(join(tmpdir(), 'raw-store-contract-'))));
});

describe('RawStore contract: S3 (SeaweedFS on 127.0.0.1, started by infra/infra.sh)', () => {
  // A prefix of its own per store: tests share the bucket, never each other's keys.
  rawStoreContract(() => new S3RawStore({ ...S3_TEST, prefix: uniqueId('contract') }));
});
