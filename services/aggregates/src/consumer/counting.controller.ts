import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { TOPICS, type Message, type Outcome } from '@mmp/common';
import type { CountedEvent } from './counted-event.schema';
import { EventCounting } from './event-counting';

/** The handler of the `aggregates` group (the pattern stays the contract topic when tests consume another one). */
@Controller()
export class CountingController {
  constructor(private readonly counting: EventCounting) {}

  @EventPattern(TOPICS.attributed)
  handle(@Payload() messages: Message<CountedEvent>[]): Promise<Outcome[]> {
    return this.counting.handle(messages);
  }
}
