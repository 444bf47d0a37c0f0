/** Contracts §4. */
export const TOPICS = {
  raw: 'events.raw.v1',
  attributed: 'events.attributed.v1',
} as const;

export const TOPIC_PARTITIONS = 12;
export const DLQ_PARTITIONS = 3;

export const dlqTopicOf = (topic: string): string => `${topic}.dlq`;

export interface TopicSpec {
  topic: string;
  partitions: number;
}

export const FLEET_TOPICS: TopicSpec[] = [
  { topic: TOPICS.raw, partitions: TOPIC_PARTITIONS },
  { topic: TOPICS.attributed, partitions: TOPIC_PARTITIONS },
  { topic: dlqTopicOf(TOPICS.raw), partitions: DLQ_PARTITIONS },
  { topic: dlqTopicOf(TOPICS.attributed), partitions: DLQ_PARTITIONS },
];
