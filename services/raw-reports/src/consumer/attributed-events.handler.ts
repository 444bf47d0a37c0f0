import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { deadLetter, ok, TOPICS, type AttributedEvent, type Message, type Outcome, StreamContext } from '@mmp/common';
import { placeRow, type PlacedRow } from '../domain/raw-row';
import { RawLake } from '../store/raw-lake';

/** events.attributed.v1 -> the lake. The slice is committed only after its rows are durable and indexed. */
@Controller()
export class AttributedEventsHandler {
  constructor(private readonly lake: RawLake) {}

  @EventPattern(TOPICS.attributed)
  async handle(@Payload() messages: Message<AttributedEvent>[], @Ctx() context: StreamContext): Promise<Outcome[]> {
    const rows: PlacedRow[] = [];
    const outcomes = messages.map((message): Outcome => {
      const placement = placeRow(message.value);
      if (placement.kind === 'invalid') return deadLetter(placement.reason);
      if (placement.kind === 'row') rows.push(placement.placed);
      return ok;
    });
    if (rows.length > 0) {
      await this.lake.write(
        {
          topic: context.topic,
          partition: context.partition,
          firstOffset: messages[0].record.offset,
          lastOffset: messages[messages.length - 1].record.offset,
        },
        rows,
      );
    }
    return outcomes;
  }
}
