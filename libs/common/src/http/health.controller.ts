import { Controller, Get, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { FleetContext } from '../service/fleet-context';
import { httpStatusOf } from '../health/health';

/** Contracts §1: 200 passing, 429 warning, 503 critical naming the failing dependency. */
@Controller()
export class HealthController {
  constructor(private readonly fleet: FleetContext) {}

  @Get('health')
  async health(@Res() reply: FastifyReply): Promise<void> {
    const report = await this.fleet.health.report();
    await reply.status(httpStatusOf(report.status)).send(report);
  }
}
