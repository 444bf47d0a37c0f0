import { eventKey, type AppsRegistry, type Logger, type Metrics } from '@mmp/common';
import { randomBytes } from 'node:crypto';
import { clickEvent, parseClickQuery, type TouchType } from '../domain/click';
import { UnavailableError, type EventWriter } from '../producer/event-writer';
import type { Answer } from './event-intake';

export interface LinkRequest {
  type: TouchType;
  /** False for HEAD (link previewers, crawlers): answered as GET would be, nothing recorded. */
  record: boolean;
}

/**
 * Contracts §3, GET /v1/click/:appId and GET /v1/impression/:appId: public tracking links,
 * recorded durably before the answer (a click redirects to the store; an impression is 204).
 */
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
    link: LinkRequest = { type: 'click', record: true },
  ): Promise<Answer & { location?: string }> {
    const app = this.apps.get(appId);
    if (!app) return { status: 404, body: { error: 'not_found', message: 'unknown app' } };
    const parsed = parseClickQuery(query);
    if (!parsed.ok) {
      this.metrics.increment('events.rejected', 1, { app: appId });
      return { status: 400, body: { error: 'invalid_click', message: parsed.message } };
    }
    const answer: Answer & { location?: string } =
      link.type === 'click' && app.store_url ? { status: 302, body: {}, location: app.store_url } : { status: 204, body: {} };
    if (!link.record) return answer;
    const event = clickEvent(appId, parsed.click, randomBytes(16).toString('base64url'), Date.now(), ip, userAgent, link.type);
    const records = [{ key: eventKey(event), value: JSON.stringify(event) }];
    // Click fields are bounded, so this holds unless the broker's limit is configured absurdly low.
    if (!this.writer.producible(records))
      return { status: 413, body: { error: 'event_too_large', message: 'the click is larger than the stream accepts' } };
    try {
      await this.writer.write(records);
    } catch (error) {
      if (!(error instanceof UnavailableError)) this.logger.error({ err: error, app: appId }, `${link.type} write failed`);
      return { status: 503, body: { error: 'unavailable' } };
    }
    this.metrics.increment('events.accepted', 1, { app: appId });
    return answer;
  }
}
