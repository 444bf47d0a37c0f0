import { eventKey, type AppsRegistry, type Logger, type Metrics } from '@mmp/common';
import { randomBytes } from 'node:crypto';
import { clickEvent, parseClickQuery } from '../domain/click';
import { UnavailableError, type EventWriter } from '../producer/event-writer';
import type { Answer } from './event-intake';

/** Contracts §3, GET /v1/click/:appId: a public tracking link, recorded durably before the redirect. */
export class ClickIntake {
  constructor(
    private readonly apps: AppsRegistry,
    private readonly writer: EventWriter,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
  ) {}

  async record(
    appId: string,
    query: Record<string, unknown>,
    ip: string | null,
    userAgent: string | null,
  ): Promise<Answer & { location?: string }> {
    const app = this.apps.get(appId);
    if (!app) return { status: 404, body: { error: 'not_found', message: 'unknown app' } };
    const parsed = parseClickQuery(query);
    if (!parsed.ok) {
      this.metrics.increment('events.rejected', 1, { app: appId });
      return { status: 400, body: { error: 'invalid_click', message: parsed.message } };
    }
    const event = clickEvent(appId, parsed.click, randomBytes(16).toString('base64url'), Date.now(), ip, userAgent);
    const records = [{ key: eventKey(event), value: JSON.stringify(event) }];
    // Click fields are bounded, so this holds unless the broker's limit is configured absurdly low.
    if (!this.writer.producible(records))
      return { status: 413, body: { error: 'event_too_large', message: 'the click is larger than the stream accepts' } };
    try {
      await this.writer.write(records);
    } catch (error) {
      if (!(error instanceof UnavailableError)) this.logger.error({ err: error, app: appId }, 'click write failed');
      return { status: 503, body: { error: 'unavailable' } };
    }
    this.metrics.increment('events.accepted', 1, { app: appId });
    return app.store_url ? { status: 302, body: {}, location: app.store_url } : { status: 204, body: {} };
  }
}
