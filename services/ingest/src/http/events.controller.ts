import { Controller, Headers, Param, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { userAgentOf } from '../domain/event-validation';
import { EventIntake } from '../intake/event-intake';
import { RequestOrigin } from './request-origin';

/** Fastify also parses text/plain; the contract takes JSON only. */
export const isJsonContentType = (header: string | undefined): boolean => !!header && /^application\/json\s*(;|$)/i.test(header);

@Controller('v1/apps/:appId/events')
export class EventsController {
  constructor(
    private readonly intake: EventIntake,
    private readonly origin: RequestOrigin,
  ) {}

  @Post()
  async post(
    @Param('appId') appId: string,
    @Headers('x-sdk-key') sdkKey: string | undefined,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    if (!isJsonContentType(request.headers['content-type'])) {
      await reply.status(415).send({ error: 'unsupported_media_type', message: 'Content-Type must be application/json' });
      return;
    }
    const answer = await this.intake.ingest(appId, sdkKey, request.body, {
      remoteIp: this.origin.ipOf(request),
      userAgent: userAgentOf(request.headers['user-agent']),
    });
    await reply.status(answer.status).send(answer.body);
  }
}
