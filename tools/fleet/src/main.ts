#!/usr/bin/env node
import { createLogger, FLEET_TOPICS, KafkajsStreamClient } from '@mmp/common';

const commands: Record<string, { summary: string; run(args: string[]): Promise<void> }> = {
  topics: {
    summary: 'create the topics of contracts §4 that do not exist yet',
    async run() {
      const logger = createLogger('fleet', 'warn');
      const admin = new KafkajsStreamClient({ brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','), clientId: 'fleet', logger }).admin();
      await admin.connect();
      try {
        await admin.ensureTopics(FLEET_TOPICS);
        for (const spec of FLEET_TOPICS) console.error(`[fleet] topic ${spec.topic}: ${await admin.partitionCount(spec.topic)} partitions`);
      } finally {
        await admin.disconnect();
      }
    },
  },
};

async function main(): Promise<void> {
  const [name, ...args] = process.argv.slice(2);
  const command = name ? commands[name] : undefined;
  if (!command) {
    console.error('usage: fleet <command>\n' + Object.entries(commands).map(([key, value]) => `  ${key.padEnd(12)} ${value.summary}`).join('\n'));
    process.exit(name ? 2 : 0);
  }
  await command.run(args);
}

main().catch((error: Error) => {
  console.error(`[fleet] ${error.message}`);
  process.exit(1);
});
