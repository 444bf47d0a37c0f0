import { attributedEventSchema, jsonDecoder, type AttributedEvent } from '@mmp/common';
import type { Decoder } from '@mmp/common';

/** Contracts §4: what events.attributed.v1 carries, checked at the boundary; a failure goes to the DLQ. */
export const rawReportsEventDecoder: Decoder<AttributedEvent> = jsonDecoder(attributedEventSchema);
