import { KafkajsStreamClient } from '@mmp/common';
import { KAFKA_BROKERS, uniqueId } from '../support/infra';
import { quietLogger } from '../support/kafka';
import { streamClientContract } from './stream-client.contract';

streamClientContract(
  'kafkajs 2.2.4',
  () => new KafkajsStreamClient({ brokers: KAFKA_BROKERS, clientId: uniqueId('contract'), logger: quietLogger }),
);
