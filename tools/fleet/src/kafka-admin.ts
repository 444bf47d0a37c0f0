import { createLogger, KafkajsStreamClient, type StreamAdmin } from '@mmp/common';

/** Runs work with an admin client on the brokers of KAFKA_BROKERS (contracts §1), and always disconnects. */
export async function withKafkaAdmin<T>(work: (admin: StreamAdmin) => Promise<T>): Promise<T> {
  const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
  const admin = new KafkajsStreamClient({ brokers, clientId: 'fleet', logger: createLogger('fleet', 'error') }).admin();
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.disconnect();
  }
}
