import { BaseRpcContext, Server, type CustomTransportStrategy } from '@nestjs/microservices';
import { lastValueFrom } from 'rxjs';
import type { FleetContext } from '../service/fleet-context';
import type { Outcome } from './outcome';
import { StreamConsumer, type StreamConsumerOptions } from './stream-consumer';

export type StreamTransportOptions<T> = Omit<StreamConsumerOptions<T>, 'client' | 'handler' | 'logger' | 'metrics' | 'health'> & {
  /** The @EventPattern to route to; the topic by default. Two groups on one topic (a shadow reader) use two patterns. */
  pattern?: string;
};

/** What a handler can read with @Ctx(): the partition its batch came from. */
export class StreamContext extends BaseRpcContext<[topic: string, partition: number, groupId: string]> {
  get topic(): string {
    return this.args[0];
  }
  get partition(): number {
    return this.args[1];
  }
  get groupId(): string {
    return this.args[2];
  }
}

/**
 * A Nest transport over StreamConsumer. Nest's own Kafka transport hands over one message
 * at a time and commits even when the handler threw; here an @EventPattern handler gets a
 * whole slice (`Message<T>[]`) and returns one Outcome per message, and nothing is
 * committed until it has returned.
 */
export class StreamTransport<T> extends Server implements CustomTransportStrategy {
  private consumer?: StreamConsumer<T>;

  constructor(
    private readonly fleet: FleetContext,
    private readonly options: StreamTransportOptions<T>,
  ) {
    super();
  }

  listen(callback: (error?: unknown) => void): void {
    const pattern = this.options.pattern ?? this.options.topic;
    const handler = this.getHandlerByPattern(pattern);
    if (!handler) {
      callback(new Error(`no @EventPattern('${pattern}') handler for the consumer of ${this.options.topic}`));
      return;
    }
    this.consumer = new StreamConsumer<T>({
      ...this.options,
      client: this.fleet.kafka,
      logger: this.fleet.logger.child({ component: 'consumer', group: this.options.groupId }),
      metrics: this.fleet.metrics,
      health: this.fleet.health,
      handler: async (messages, source) => {
        const context = new StreamContext([source.topic, source.partition, this.options.groupId]);
        const outcomes = await lastValueFrom(this.transformToObservable(await handler(messages, context)), {
          defaultValue: undefined,
        });
        return outcomes as Outcome[];
      },
    });
    this.consumer.start().then(
      () => callback(),
      (error) => callback(error),
    );
  }

  async close(): Promise<void> {
    await this.consumer?.stop();
  }

  on(): never {
    throw new Error('StreamTransport has no events to listen to');
  }

  unwrap<U>(): U {
    return this.consumer as U;
  }
}
