import { Controller, Get, Headers, Inject, Param, Query, Res } from '@nestjs/common';
import { FleetContext } from '@mmp/common';
import type { FastifyReply } from 'fastify';
import { buildReport } from '../domain/report';
import { isAuthorized } from '../domain/report-auth';
import { reportCsv, reportJson } from '../domain/report-format';
import { parseReportQuery } from '../domain/report-query';
import { CountersStore } from '../store/counters.store';

/** Contracts §7: the aggregate report of one app over a range of UTC days. */
@Controller('v1/apps/:appId/aggregates')
export class AggregatesController {
  constructor(
    @Inject(FleetContext) private readonly context: FleetContext,
    private readonly store: CountersStore,
  ) {}

  @Get()
  async report(
    @Param('appId') appId: string,
    @Headers('authorization') authorization: string | undefined,
    @Query() query: Record<string, unknown>,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    if (!this.context.apps.isLoaded()) {
      await reply.status(503).send({ error: 'unavailable', message: 'the apps registry has not loaded yet' });
      return;
    }
    const app = this.context.apps.get(appId);
    if (!app) {
      await reply.status(404).send({ error: 'unknown_app', message: `no app ${JSON.stringify(appId)}` });
      return;
    }
    if (!isAuthorized(authorization, app.api_token_sha256)) {
      await reply.status(401).send({ error: 'unauthorized', message: 'send Authorization: Bearer <api_token> of this app' });
      return;
    }
    const parsed = parseReportQuery(query);
    if (!parsed.ok) {
      await reply.status(400).send(parsed.problem);
      return;
    }
    const { from, to, days, groupBy, format } = parsed.query;
    let cells;
    try {
      cells = await this.store.cells(appId, days);
    } catch (error) {
      this.context.logger.warn({ err: (error as Error).message, appId }, 'report_unavailable');
      await reply.status(503).send({ error: 'unavailable', message: 'the counters cannot be read right now' });
      return;
    }
    const rows = buildReport(cells, groupBy);
    const header = { appId, from, to, groupBy };
    if (format === 'csv')
      await reply
        .status(200)
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="aggregates-${from}-${to}.csv"`)
        .send(reportCsv(header, rows));
    else await reply.status(200).header('content-type', 'application/json; charset=utf-8').send(reportJson(header, rows));
  }
}
