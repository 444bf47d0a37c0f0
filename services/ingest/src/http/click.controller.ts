import { Controller, Get, Param, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { userAgentOf } from '../domain/event-validation';
import { normalizeIp } from '../domain/ip';
import { ClickIntake } from '../intake/click-intake';

@Controller('v1/click/:appId')
export class ClickController {
  constructor(private readonly intake: ClickIntake) {}

  @Get()
  async click(@Param('appId') appId: string, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const answer = await this.intake.record(
      appId,
      request.query as Record<string, unknown>,
      normalizeIp(request.ip),
      userAgentOf(request.headers['user-agent']),
    );
    if (answer.location) {
      await reply.status(302).header('location', answer.location).send();
    } else if (answer.status === 204) {
      await reply.status(204).send();
    } else {
      await reply.status(answer.status).send(answer.body);
    }
  }
}
