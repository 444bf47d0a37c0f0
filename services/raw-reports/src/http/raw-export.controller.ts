import { Controller, Get, Headers, Inject, Param, Query, Res } from '@nestjs/common';
import { APP_ID_PATTERN, FleetContext } from '@mmp/common';
import type { FastifyReply } from 'fastify';
import { checkExportQuery, isAuthorized } from '../domain/export-request';
import { isRawKind } from '../domain/raw-row';
import { RawLake } from '../store/raw-lake';
import { csvExport, jsonLinesExport } from './export-body';

/** Contracts §6: the raw exports, streamed from the lake with back-pressure. */
@Controller('v1/apps/:appId/raw')
export class RawExportController {
  constructor(
    @Inject(FleetContext) private readonly fleet: FleetContext,
    private readonly lake: RawLake,
  ) {}

  @Get(':kind')
  async export(
    @Param('appId') appId: string,
    @Param('kind') kind: string,
    @Query() query: Record<string, unknown>,
    @Headers('authorization') authorization: string | undefined,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    if (!isRawKind(kind)) {
      await reply
        .status(404)
        .send({ error: 'not_found', message: `no raw report ${kind}; try installs, in-app-events, clicks or impressions` });
      return;
    }
    const app = APP_ID_PATTERN.test(appId) ? this.fleet.apps.get(appId) : undefined;
    if (!app) {
      await reply.status(404).send({ error: 'unknown_app', message: `no app ${appId}` });
      return;
    }
    if (!isAuthorized(authorization, app.api_token_sha256)) {
      await reply
        .status(401)
        .send({ error: 'unauthorized', message: 'Authorization: Bearer <api token of this app> is required' });
      return;
    }
    const checked = checkExportQuery(query);
    if (!checked.ok) {
      await reply.status(400).send({ error: checked.error, message: checked.message });
      return;
    }
    const { days, format, from, to } = checked.value;
    const rows = this.lake.read(appId, kind, days);
    const body = format === 'jsonl' ? jsonLinesExport(rows) : csvExport(kind, rows);
    await reply
      .status(200)
      .header('content-type', format === 'jsonl' ? 'application/x-ndjson; charset=utf-8' : 'text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="${appId}-${kind}-${from}-${to}.${format}"`)
      .send(body);
  }
}
