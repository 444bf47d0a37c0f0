import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { FLEET_TOPICS } from '@mmp/common';
import { ensureTopics } from '@mmp/fleet';
import { ConfigResourceTypes, Kafka, logLevel } from 'kafkajs';
import { KAFKA_BROKERS, ROOT, uniqueId } from '../support/infra';
import { runFleet } from './support/cli';

const admin = new Kafka({ clientId: uniqueId('topics-test'), brokers: KAFKA_BROKERS, logLevel: logLevel.NOTHING }).admin();

async function topicConfig(topic: string): Promise<Record<string, string>> {
  const described = await admin.describeConfigs({
    resources: [{ type: ConfigResourceTypes.TOPIC, name: topic }],
    includeSynonyms: false,
  });
  return Object.fromEntries(described.resources[0].configEntries.map((entry) => [entry.configName, entry.configValue]));
}

describe('fleet topics: replication factor and min.insync.replicas from the fleet configuration', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'mmp-topics-'));
  const created: string[] = [];
  after(async () => {
    if (created.length) await admin.deleteTopics({ topics: created }).catch(() => undefined);
    await admin.disconnect();
    rmSync(scratch, { recursive: true, force: true });
  });

  it("leaves the fleet's topics as this machine's configuration has them, and says so", async () => {
    const result = await runFleet(['topics'], { env: { KAFKA_BROKERS: KAFKA_BROKERS.join(',') } });
    assert.equal(result.code, 0, result.stderr);
    for (const { topic, partitions } of FLEET_TOPICS)
      assert.match(
        result.stderr,
        new RegExp(
          `topic ${topic.replace(/\./g, '\\.')}: (created|as configured), ${partitions} partitions, replication factor 1, min\\.insync\\.replicas 1`,
        ),
      );
  });

  it('refuses a replication factor the cluster cannot hold, changing nothing', async () => {
    const config = JSON.parse(readFileSync(resolve(ROOT, 'deploy/fleet.config.json'), 'utf8'));
    config.kafka = { ...config.kafka, replicationFactor: 3, minInsyncReplicas: 2 };
    const file = join(scratch, 'three-brokers.json');
    writeFileSync(file, JSON.stringify(config));
    const result = await runFleet(['topics', '--config', file], { env: { KAFKA_BROKERS: KAFKA_BROKERS.join(',') } });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /replication factor of 3, but the cluster has 1 broker\(s\)/);
  });

  it("creates a topic with the configured min.insync.replicas, and changes it later keeping the topic's own settings", async () => {
    await admin.connect();
    const spec = { topic: uniqueId('fleet-topics').replace(/[^A-Za-z0-9._-]/g, '.'), partitions: 2 };
    created.push(spec.topic);
    const lines: string[] = [];
    // 2 on one replica is accepted by Kafka (writes with acks=all would then fail): enough to see the setting move.
    const first = await ensureTopics(KAFKA_BROKERS, [spec], { brokers: '', replicationFactor: 1, minInsyncReplicas: 2 }, (line) =>
      lines.push(line),
    );
    assert.equal(first[0].kind, 'create');
    assert.equal((await topicConfig(spec.topic))['min.insync.replicas'], '2');

    await admin.alterConfigs({
      validateOnly: false,
      resources: [
        {
          type: ConfigResourceTypes.TOPIC,
          name: spec.topic,
          configEntries: [
            { name: 'min.insync.replicas', value: '2' },
            { name: 'retention.ms', value: '3600000' },
          ],
        },
      ],
    });
    const second = await ensureTopics(
      KAFKA_BROKERS,
      [spec],
      { brokers: '', replicationFactor: 1, minInsyncReplicas: 1 },
      (line) => lines.push(line),
    );
    assert.equal(second[0].kind, 'set-min-insync');
    const after = await topicConfig(spec.topic);
    assert.equal(after['min.insync.replicas'], '1');
    assert.equal(after['retention.ms'], '3600000', 'the topic keeps its own settings');
    assert.match(lines.join('\n'), new RegExp(`topic ${spec.topic}: min\\.insync\\.replicas 2 -> 1`));

    const third = await ensureTopics(
      KAFKA_BROKERS,
      [spec],
      { brokers: '', replicationFactor: 1, minInsyncReplicas: 1 },
      () => {},
    );
    assert.equal(third[0].kind, 'ok');
  });
});
