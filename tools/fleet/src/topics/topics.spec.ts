import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FLEET_TOPICS } from '@mmp/common';
import { planTopics, type TopicState } from './topics';

const durable = { brokers: 'k1:9092,k2:9092,k3:9092', replicationFactor: 3, minInsyncReplicas: 2 };
const state = (topic: string, partitions: number, replicationFactor: number, minInsyncReplicas: number): TopicState => ({
  topic,
  partitions,
  replicationFactor,
  minInsyncReplicas,
  ownConfigs: { 'retention.ms': '604800000' },
});

describe('fleet topics plan', () => {
  it('creates every missing topic with the configured replication factor and min.insync.replicas', () => {
    const plan = planTopics(FLEET_TOPICS, [], durable, 3);
    assert.deepEqual(
      plan.map((action) => action.kind),
      FLEET_TOPICS.map(() => 'create'),
    );
    for (const [index, action] of plan.entries()) {
      assert.deepEqual(action, {
        kind: 'create',
        topic: FLEET_TOPICS[index].topic,
        partitions: FLEET_TOPICS[index].partitions,
        replicationFactor: 3,
        minInsyncReplicas: 2,
      });
    }
  });

  it("sets min.insync.replicas where it differs, keeping the topic's own settings", () => {
    const [raw] = FLEET_TOPICS;
    const [action] = planTopics([raw], [state(raw.topic, raw.partitions, 3, 1)], durable, 3);
    assert.deepEqual(action, {
      kind: 'set-min-insync',
      topic: raw.topic,
      from: 1,
      to: 2,
      keep: { 'retention.ms': '604800000' },
    });
    assert.equal(planTopics([raw], [state(raw.topic, raw.partitions, 3, 2)], durable, 3)[0].kind, 'ok');
  });

  it('names what it cannot change: a replication factor or partition count that differs', () => {
    const [raw] = FLEET_TOPICS;
    const [action] = planTopics([raw], [state(raw.topic, 6, 1, 1)], durable, 3);
    assert.equal(action.kind, 'problem');
    assert.match(
      action.kind === 'problem' ? action.message : '',
      /replication factor 1, the configuration asks 3.*; 6 partitions/,
    );
  });

  it('refuses a replication factor above the number of brokers before touching anything', () => {
    const plan = planTopics(FLEET_TOPICS, [], durable, 1);
    assert.ok(plan.every((action) => action.kind === 'problem' && /cluster has 1 broker/.test(action.message)));
  });
});
