import {
  ok,
  type HeldDrainer,
  type HeldItem,
  type HeldQueue,
  type Message,
  type Metrics,
  type Outcome,
  type Watermark,
} from '@mmp/common';
import { isLate, isTouch, touchOf } from '../domain/events';
import type { AppWindows } from '../domain/windows';
import { AttributedWriter } from '../producer/attributed.writer';
import type { TouchStore } from '../store/touch.store';
import type { RawInput } from './raw-input';

export interface IntakeSettings {
  partitionCount: number;
  graceMs: number;
}

/**
 * The held-queue id of an event: event_ids are unique within an app only. Items received
 * in the same millisecond are taken in id order, so installs (0) come before the in-app
 * events and sessions (1) that an SDK sent with them in one request.
 */
export const heldIdOf = (event: { type: string; app_id: string; event_id: string }): string =>
  `${event.type === 'install' ? 0 : 1}/${event.app_id}/${event.event_id}`;

/**
 * One slice of events.raw.v1. Touches are stored and forwarded at once. Installs, in-app
 * events and sessions are parked on the partition's held queue, to be decided in
 * received_at order once the watermark has passed them (contracts §5); the slice then
 * commits, which is what moves the watermark. Waiting here instead would deadlock.
 */
export class AttributionIntake {
  constructor(
    private readonly watermark: Watermark,
    private readonly held: HeldQueue,
    private readonly drainer: HeldDrainer,
    private readonly touches: TouchStore,
    private readonly writer: AttributedWriter,
    private readonly windowsOf: (appId: string) => AppWindows,
    private readonly metrics: Metrics,
    private readonly settings: IntakeSettings,
  ) {}

  async onSlice(messages: Message<RawInput>[], partition: number): Promise<Outcome[]> {
    const low = await this.watermark.low(this.settings.partitionCount);
    const touchMessages = messages.filter((message) => isTouch(message.value));
    const parked: HeldItem[] = [];
    for (const message of messages) {
      const event = message.value;
      const receivedAtMs = Date.parse(event.received_at);
      // A late install is parked like any other: its time has passed, so the next drain decides it at once.
      if (isLate(receivedAtMs, low, this.settings.graceMs))
        this.metrics.increment('attribution.late_events', 1, { type: event.type });
      if (!isTouch(event)) parked.push({ id: heldIdOf(event), atMs: receivedAtMs, payload: JSON.stringify(event) });
    }
    await Promise.all([
      this.touches.save(
        touchMessages.map((message) => touchOf(message.value)),
        this.windowsOf,
      ),
      this.writer.write(touchMessages.map((message) => AttributedWriter.unchanged(message.value, message.record.value!))),
      this.held.park(partition, parked),
    ]);
    this.drainer.kick();
    return messages.map(() => ok);
  }
}
