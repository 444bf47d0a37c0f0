import { Controller, Get, Param, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { TouchType } from '../domain/click';
import { userAgentOf } from '../domain/event-validation';
import { ClickIntake } from '../intake/click-intake';
import { RequestOrigin } from './request-origin';

/** Fastify answers HEAD with the GET route's handler; only a GET records (contracts §3). */
async function answerLink(
  type: TouchType,
  intake: ClickIntake,
  origin: RequestOrigin,
  appId: string,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<void> {
  const answer = await intake.record(
    appId,
    request.query as Record<string, unknown>,
    origin.ipOf(request),
    userAgentOf(request.headers['user-agent']),
    { type, record: request.method === 'GET' },
  );
  if (answer.location) {
    await reply.status(302).header('location', answer.location).send();
  } else if (answer.status === 204) {
    await reply.status(204).send();
  } else {
    await reply.status(answer.status).send(answer.body);
  }
}

@Controller('v1/click/:appId')
export class ClickController {
  constructor(
    private readonly intake: ClickIntake,
    private readonly origin: RequestOrigin,
  ) {}

  @Get()
  click(@Param('appId') appId: string, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return answerLink('click', this.intake, this.origin, appId, request, reply);
  }
}

/** Contracts §3: the view-through link ad networks call when an ad is shown. */
@Controller('v1/impression/:appId')
export class ImpressionController {
  constructor(
    private readonly intake: ClickIntake,
    private readonly origin: RequestOrigin,
  ) {}

  @Get()
  impression(@Param('appId') appId: string, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return answerLink('impression', this.intake, this.origin, appId, request, reply);
  }
}
