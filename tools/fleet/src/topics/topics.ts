import type { TopicSpec } from '@mmp/common';
import { ConfigResourceTypes, ConfigSource, Kafka, logLevel } from 'kafkajs';
import type { FleetConfiguration } from '../config/fleet-config';

/** What a topic is on the cluster now. */
export interface TopicState {
  topic: string;
  partitions: number;
  replicationFactor: number;
  /** min.insync.replicas as the topic sees it (its own or the broker's default). */
  minInsyncReplicas: number;
  /** The topic's own (dynamic) settings, which a non-incremental AlterConfigs would otherwise drop. */
  ownConfigs: Record<string, string>;
}

export type TopicAction =
  | { kind: 'create'; topic: string; partitions: number; replicationFactor: number; minInsyncReplicas: number }
  | { kind: 'set-min-insync'; topic: string; from: number; to: number; keep: Record<string, string> }
  | { kind: 'ok'; topic: string; partitions: number; replicationFactor: number; minInsyncReplicas: number }
  | { kind: 'problem'; topic: string; message: string };

/**
 * What `fleet topics` does to reach the configuration: create what is missing with the configured replication
 * factor and min.insync.replicas, set min.insync.replicas where it differs, and name what it cannot change
 * (a topic's replication factor or partition count needs a reassignment an operator plans).
 */
export function planTopics(
  wanted: readonly TopicSpec[],
  existing: readonly TopicState[],
  kafka: FleetConfiguration['kafka'],
  brokers: number,
): TopicAction[] {
  if (kafka.replicationFactor > brokers)
    return wanted.map((spec) => ({
      kind: 'problem',
      topic: spec.topic,
      message: `the configuration asks a replication factor of ${kafka.replicationFactor}, but the cluster has ${brokers} broker(s)`,
    }));
  return wanted.map((spec): TopicAction => {
    const state = existing.find((candidate) => candidate.topic === spec.topic);
    if (!state)
      return {
        kind: 'create',
        topic: spec.topic,
        partitions: spec.partitions,
        replicationFactor: kafka.replicationFactor,
        minInsyncReplicas: kafka.minInsyncReplicas,
      };
    const problems: string[] = [];
    if (state.replicationFactor !== kafka.replicationFactor)
      problems.push(
        `replication factor ${state.replicationFactor}, the configuration asks ${kafka.replicationFactor} (reassign its partitions with kafka-reassign-partitions)`,
      );
    if (state.partitions !== spec.partitions)
      problems.push(`${state.partitions} partitions, contracts §4 asks ${spec.partitions}`);
    if (problems.length) return { kind: 'problem', topic: spec.topic, message: problems.join('; ') };
    if (state.minInsyncReplicas !== kafka.minInsyncReplicas)
      return {
        kind: 'set-min-insync',
        topic: spec.topic,
        from: state.minInsyncReplicas,
        to: kafka.minInsyncReplicas,
        keep: state.ownConfigs,
      };
    return {
      kind: 'ok',
      topic: spec.topic,
      partitions: state.partitions,
      replicationFactor: state.replicationFactor,
      minInsyncReplicas: state.minInsyncReplicas,
    };
  });
}

/** Reads the cluster, plans, and carries the plan out; returns the plan with what was done. */
export async function ensureTopics(
  brokers: string[],
  wanted: readonly TopicSpec[],
  kafka: FleetConfiguration['kafka'],
  log: (line: string) => void,
): Promise<TopicAction[]> {
  const admin = new Kafka({ clientId: 'fleet-topics', brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const cluster = await admin.describeCluster();
    const names = new Set(await admin.listTopics());
    const present = wanted.filter((spec) => names.has(spec.topic)).map((spec) => spec.topic);
    const existing: TopicState[] = [];
    if (present.length) {
      const metadata = await admin.fetchTopicMetadata({ topics: present });
      const configs = await admin.describeConfigs({
        resources: present.map((name) => ({ type: ConfigResourceTypes.TOPIC, name })),
        includeSynonyms: false,
      });
      for (const topic of metadata.topics) {
        const entries = configs.resources.find((resource) => resource.resourceName === topic.name)?.configEntries ?? [];
        const own = entries.filter((entry) => entry.configSource === ConfigSource.TOPIC_CONFIG && !entry.isDefault);
        existing.push({
          topic: topic.name,
          partitions: topic.partitions.length,
          replicationFactor: Math.min(...topic.partitions.map((partition) => partition.replicas.length)),
          minInsyncReplicas: Number(entries.find((entry) => entry.configName === 'min.insync.replicas')?.configValue ?? 1),
          ownConfigs: Object.fromEntries(own.map((entry) => [entry.configName, entry.configValue])),
        });
      }
    }
    const plan = planTopics(wanted, existing, kafka, cluster.brokers.length);
    const creates = plan.filter((action) => action.kind === 'create');
    if (creates.length)
      await admin.createTopics({
        waitForLeaders: true,
        topics: creates.map((action) => ({
          topic: action.topic,
          numPartitions: action.partitions,
          replicationFactor: action.replicationFactor,
          configEntries: [{ name: 'min.insync.replicas', value: String(action.minInsyncReplicas) }],
        })),
      });
    for (const action of plan) {
      if (action.kind !== 'set-min-insync') continue;
      // AlterConfigs replaces the topic's whole set of own settings: send the ones it has along.
      const entries = { ...action.keep, 'min.insync.replicas': String(action.to) };
      await admin.alterConfigs({
        validateOnly: false,
        resources: [
          {
            type: ConfigResourceTypes.TOPIC,
            name: action.topic,
            configEntries: Object.entries(entries).map(([name, value]) => ({ name, value })),
          },
        ],
      });
    }
    for (const action of plan) log(describe(action));
    return plan;
  } finally {
    await admin.disconnect();
  }
}

export function describe(action: TopicAction): string {
  switch (action.kind) {
    case 'create':
      return `topic ${action.topic}: created, ${action.partitions} partitions, replication factor ${action.replicationFactor}, min.insync.replicas ${action.minInsyncReplicas}`;
    case 'set-min-insync':
      return `topic ${action.topic}: min.insync.replicas ${action.from} -> ${action.to}`;
    case 'ok':
      return `topic ${action.topic}: as configured, ${action.partitions} partitions, replication factor ${action.replicationFactor}, min.insync.replicas ${action.minInsyncReplicas}`;
    case 'problem':
      return `topic ${action.topic}: ${action.message}`;
  }
}
