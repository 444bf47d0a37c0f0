import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { TOPICS, type Message, type Outcome, StreamContext } from '@mmp/common';
import { AttributionIntake } from './attribution-intake';
import type { RawInput } from './raw-input';

@Controller()
export class RawEventsController {
  constructor(private readonly intake: AttributionIntake) {}

  @EventPattern(TOPICS.raw)
  handle(@Payload() messages: Message<RawInput>[], @Ctx() context: StreamContext): Promise<Outcome[]> {
    return this.intake.onSlice(messages, context.partition);
  }
}
