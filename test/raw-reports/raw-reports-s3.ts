/** The S3-compatible store that `infra/infra.sh up` starts (SeaweedFS), as tests reach it. */
export const S3_TEST = {
  endpoint: 'http://127.0.0.1:8333',
  region: 'us-east-1',
  bucket: 'mmp-raw-lake-test',
  accessKeyId: process.env.S3_ACCESS_KEY_ID ?? 'mmp',
  secretAccessKey: process.env.S3_SECRET_ACCESS_KEY ?? 'mmp-secret-key',
};

/** The environment that points a raw-reports process at that store, under a prefix of its own. */
export const s3Env = (prefix: string): Record<string, string> => ({
  RAW_STORE: 's3',
  S3_ENDPOINT: S3_TEST.endpoint,
  S3_REGION: S3_TEST.region,
  S3_BUCKET: S3_TEST.bucket,
  S3_PREFIX: prefix,
  S3_ACCESS_KEY_ID: S3_TEST.accessKeyId,
  S3_SECRET_ACCESS_KEY: S3_TEST.secretAccessKey,
});

export type StoreKind = 'fs' | 's3';
export const STORE_KINDS: StoreKind[] = ['fs', 's3'];
