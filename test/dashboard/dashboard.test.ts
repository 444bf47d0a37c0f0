import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import {
  daysOf,
  describeChart,
  displayCell,
  formatCount,
  installsBySource,
  lastDays,
  reportTable,
  type ApiReport,
} from '@mmp/aggregates/dist/dashboard/report-view';
import { toMicros } from '@mmp/aggregates/dist/domain/micros';
import {
  aggregatesUnderTest,
  attributedEvent,
  dayAgo,
  getReport,
  recordOf,
  type AggregatesUnderTest,
  type Touch,
} from '../aggregates/aggregates-harness';
import { deleteApp, putApp, ROOT, waitFor, type TestApp } from '../support/infra';
import { produce } from '../support/kafka';
import { startServiceProcess, type ServiceProcess } from '../support/service-process';
import { launchChromium, OUTPUT_DIR, tableTexts, tabTo, watchPage } from './browser';

// Code passed to page.evaluate runs in the page; the test project has no DOM types (Node only).
declare const document: any;
declare const window: any;
declare const sessionStorage: any;
declare const localStorage: any;

const LAPTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
const SOURCES: Touch[] = [
  { media_source: 'facebook', campaign: 'spring' },
  { media_source: 'google_ads', campaign: null },
  { media_source: 'tiktok', campaign: 'launch' },
];

/** A week of traffic: clicks, impressions, installs and purchases per source and day, organic installs, one reinstall. */
function weekOfEvents(appId: string): Record<string, unknown>[] {
  const events: Record<string, unknown>[] = [];
  for (let daysAgo = 0; daysAgo < 7; daysAgo++) {
    const day = dayAgo(daysAgo);
    SOURCES.forEach((touch, index) => {
      const clicks = 2 + ((daysAgo * 5 + index * 3) % 6);
      for (let n = 0; n < clicks; n++) events.push(attributedEvent(appId, 'click', day, { touch }));
      for (let n = 0; n < clicks * 3 + index; n++) events.push(attributedEvent(appId, 'impression', day, { touch }));
      for (let n = 0; n < 1 + ((daysAgo + index) % 3); n++) events.push(attributedEvent(appId, 'install', day, { touch }));
      if ((daysAgo + index) % 2 === 0)
        events.push(
          attributedEvent(appId, 'in_app_event', day, {
            touch,
            ...(index === 2 ? { revenue: 1.5, currency: 'EUR' } : { revenue: 0.99 * (index + 1), currency: 'USD' }),
          }),
        );
    });
    for (let n = 0; n < 1 + (daysAgo % 3); n++) events.push(attributedEvent(appId, 'install', day));
    if (daysAgo % 2 === 1) events.push(attributedEvent(appId, 'in_app_event', day, { revenue: 2.5, currency: 'USD' }));
  }
  events.push(attributedEvent(appId, 'install', dayAgo(1), { touch: SOURCES[0], reinstall: true }));
  return events;
}

const week = () => lastDays(7, new Date());

async function apiReport(service: ServiceProcess, app: TestApp, groupBy: string[]): Promise<ApiReport> {
  const answer = await getReport(service, app.record.app_id, { ...week(), group_by: groupBy.join(',') }, app.apiToken);
  assert.equal(answer.status, 200, answer.text);
  return answer.json() as ApiReport;
}

const sumOf = (report: ApiReport, metric: 'impressions' | 'clicks' | 'installs' | 'in_app_events'): number =>
  report.rows.reduce((total, row) => total + row[metric], 0);

/** The table's rows as the page should print them for this API answer. */
function expectedRows(report: ApiReport): string[][] {
  const table = reportTable(report);
  return table.rows.map((row) => row.values.map((value, index) => displayCell(value, table.columns[index])));
}

async function signIn(page: Page, app: { appId: string; token: string }): Promise<void> {
  await page.fill('#app-id', app.appId);
  await page.fill('#api-token', app.token);
  await page.press('#api-token', 'Enter');
}

describe('the dashboard, in a real browser, against the real aggregates service', () => {
  let harness: AggregatesUnderTest;
  let service: ServiceProcess;
  let app: TestApp;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const problems: string[] = [];

  const openPage = async (viewport = LAPTOP): Promise<Page> => {
    // One page at a time: the one under test is the browser's only, visible, page.
    await Promise.all(contexts.splice(0).map((context) => context.close()));
    const context = await browser.newContext({ viewport, acceptDownloads: true });
    contexts.push(context);
    const page = await context.newPage();
    const watched = watchPage(page, service.url);
    after(() => problems.push(...watched.problems));
    await page.goto(`${service.url}/dashboard`);
    return page;
  };
  const signedIn = async (viewport = LAPTOP): Promise<Page> => {
    const page = await openPage(viewport);
    await signIn(page, { appId: app.record.app_id, token: app.apiToken });
    await page.waitForSelector('body[data-refreshes]');
    return page;
  };

  before(async () => {
    [harness, app, browser] = await Promise.all([aggregatesUnderTest(), putApp(), launchChromium()]);
    service = await harness.start();
    const events = weekOfEvents(app.record.app_id);
    await produce(harness.topic, events.map(recordOf));
    const installs = events.filter((event) => event.type === 'install' && event.is_reinstall !== true).length;
    await waitFor(
      `the API to count ${installs} installs`,
      async () => sumOf(await apiReport(service, app, ['media_source']), 'installs') === installs,
      30_000,
    );
  });

  after(async () => {
    await Promise.all(contexts.map((context) => context.close().catch(() => undefined)));
    await browser?.close();
    await service?.stop();
    await harness?.cleanUp();
    if (app) await deleteApp(app.record.app_id);
    // Checked last, over every page of the file: no script error, no CSP refusal, nothing fetched from elsewhere.
    assert.deepEqual(problems, []);
  });

  it('serves a static page with a strict Content-Security-Policy', async () => {
    const page = await fetch(`${service.url}/dashboard`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type')!, /^text\/html/);
    const csp = page.headers.get('content-security-policy')!;
    for (const directive of ["default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'"])
      assert.ok(csp.includes(directive), csp);
    const html = await page.text();
    assert.doesNotMatch(html, /https?:\/\//, 'the page names no other origin');
    const script = await fetch(`${service.url}/dashboard/dashboard.js`);
    assert.equal(script.status, 200);
    assert.match(script.headers.get('content-type')!, /javascript/);
    const unchanged = await fetch(`${service.url}/dashboard/dashboard.js`, {
      headers: { 'if-none-match': script.headers.get('etag')! },
    });
    assert.equal(unchanged.status, 304);
    const missing = await fetch(`${service.url}/dashboard/..%2Fmain.js`);
    assert.equal(missing.status, 404);
    assert.equal(((await missing.json()) as { error: string }).error, 'not_found');
  });

  it('says so clearly when the token is wrong or the app unknown, and keeps no token anywhere', async () => {
    const page = await openPage();
    await signIn(page, { appId: app.record.app_id, token: 'not-the-token' });
    const alert = page.locator('#sign-in-error');
    await alert.waitFor({ state: 'visible' });
    assert.equal(
      await alert.textContent(),
      `This API token is not valid for app “${app.record.app_id}”. Check the token and sign in again.`,
    );
    assert.equal(await alert.getAttribute('role'), 'alert');
    assert.equal(await page.isVisible('#dashboard'), false);
    assert.equal(await page.evaluate(() => sessionStorage.length + localStorage.length), 0);

    await signIn(page, { appId: 'com.test.nobody', token: app.apiToken });
    await page.waitForFunction(() => document.getElementById('sign-in-error').textContent.includes('com.test.nobody'));
    assert.equal(await alert.textContent(), 'No app “com.test.nobody” is registered. Check the app id.');
    assert.deepEqual(await page.context().cookies(), []);
    assert.equal(page.url(), `${service.url}/dashboard`);
  });

  it('signs in with the keyboard alone and shows the numbers the API answers', async () => {
    const page = await openPage();
    await tabTo(page, '#app-id');
    await page.keyboard.type(app.record.app_id);
    await page.keyboard.press('Tab');
    await page.keyboard.type(app.apiToken);
    await page.keyboard.press('Enter');
    await page.waitForSelector('body[data-refreshes]');

    // The token lives in sessionStorage only: not in the URL, not in a cookie, not in localStorage.
    assert.equal(page.url(), `${service.url}/dashboard`);
    assert.deepEqual(await page.context().cookies(), []);
    assert.equal(await page.evaluate(() => localStorage.length), 0);
    assert.ok((await page.evaluate(() => sessionStorage.getItem('mmp.dashboard.session'))).includes(app.apiToken));

    const bySource = await apiReport(service, app, ['media_source']);
    const table = await tableTexts(page);
    assert.deepEqual(table.columns, [
      'media_source',
      'impressions',
      'clicks',
      'installs',
      'conversion_rate',
      'in_app_events',
      'revenue_EUR',
      'revenue_USD',
    ]);
    assert.deepEqual(table.rows, expectedRows(bySource));
    // The totals, summed here from the API's rows.
    const usd = bySource.rows.reduce(
      (total, row) => total + (row.revenue.USD === undefined ? 0n : toMicros(row.revenue.USD)),
      0n,
    );
    assert.deepEqual(table.totals.slice(0, 4), [
      'Total',
      formatCount(sumOf(bySource, 'impressions')),
      formatCount(sumOf(bySource, 'clicks')),
      formatCount(sumOf(bySource, 'installs')),
    ]);
    assert.equal(table.totals[5], formatCount(sumOf(bySource, 'in_app_events')));
    assert.equal(toMicros(Number(table.totals[7].replace(/,/g, ''))), usd);

    // The charts are drawn from the same answer: their text alternative names each source's installs.
    const byDay = await apiReport(service, app, ['date', 'media_source']);
    const label = await page.getAttribute('#installs-chart', 'aria-label');
    assert.equal(label, describeChart('Installs per day by media source', installsBySource(byDay.rows, daysOf(week()))));
    for (const row of bySource.rows)
      assert.ok(label!.includes(`${row.media_source} ${row.installs}`), `${label} names ${row.media_source}`);
    for (const id of ['#installs-chart', '#traffic-chart', '#revenue-chart']) {
      const box = await page.locator(id).boundingBox();
      assert.ok(box && box.width > 200 && box.height > 200, `${id} is drawn`);
    }
  });

  it('shows new events within a refresh, without flicker, lost scroll or lost focus', async () => {
    const page = await signedIn();
    await page.focus('th[data-column="clicks"] button');
    await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
    const scrolled = await page.evaluate(() => window.scrollY);
    assert.ok(scrolled > 0, 'the laptop page scrolls');
    await page.evaluate(() => {
      const body = document.querySelector('#report-table tbody');
      const watch = {
        nodes: [body, ...document.querySelectorAll('canvas'), document.getElementById('report-table')],
        emptied: 0,
      };
      new window.MutationObserver(() => body.rows.length === 0 && watch.emptied++).observe(body, { childList: true });
      window.watch = watch;
    });
    const refreshes = Number(await page.getAttribute('body', 'data-refreshes'));

    const touch = { media_source: 'unity', campaign: 'late' };
    await produce(harness.topic, [
      ...Array.from({ length: 4 }, () => recordOf(attributedEvent(app.record.app_id, 'click', dayAgo(0), { touch }))),
      ...Array.from({ length: 3 }, () => recordOf(attributedEvent(app.record.app_id, 'install', dayAgo(0), { touch }))),
    ]);
    // The snapshot is taken once the API counts every new event (4 clicks and 3 installs), so the page cannot show newer numbers than it.
    const inApi = await waitFor('the API to count the new clicks and installs', async () => {
      const report = await apiReport(service, app, ['media_source']);
      return report.rows.some((row) => row.media_source === 'unity' && row.installs === 3 && row.clicks === 4) && report;
    });
    const apiAt = Date.now();
    await waitFor(
      'the page to show what the API answers',
      async () => JSON.stringify((await tableTexts(page)).rows) === JSON.stringify(expectedRows(inApi)),
      // One 5 s refresh period, then its two requests and the redraw on a busy 2-core machine.
      7_500,
    ).catch(async (error: Error) => {
      const shown = await tableTexts(page);
      const state = await page.evaluate(() => [
        document.body.dataset.refreshes,
        document.getElementById('updated').textContent,
        document.hidden,
      ]);
      throw new Error(
        `${error.message}\npage: ${JSON.stringify(shown.rows)} (${state})\napi: ${JSON.stringify(expectedRows(inApi))}`,
      );
    });
    const lagMs = Date.now() - apiAt;
    console.error(`[dashboard] the page showed the API's new numbers ${lagMs} ms after the API had them (refresh every 5 s)`);

    assert.ok(Number(await page.getAttribute('body', 'data-refreshes')) > refreshes);
    assert.equal(await page.evaluate(() => window.scrollY), scrolled, 'the scroll position stays');
    assert.equal(
      await page.evaluate(() => window.watch.nodes.every((node: any) => node.isConnected)),
      true,
      'table and charts are redrawn in place',
    );
    assert.equal(await page.evaluate(() => window.watch.emptied), 0, 'the table never goes blank');
    assert.equal(await page.evaluate(() => document.activeElement.closest('th')?.dataset.column), 'clicks', 'the focus stays');
  });

  it('sorts by any column with the keyboard, and downloads the rows as the API’s own CSV', async () => {
    const page = await signedIn();
    await tabTo(page, 'th[data-column="installs"] button');
    await page.keyboard.press('Enter');
    const header = page.locator('th[data-column="installs"]');
    assert.equal(await header.getAttribute('aria-sort'), 'descending');
    const installs = async () => (await tableTexts(page)).rows.map((row) => Number(row[3].replace(/,/g, '')));
    const descending = await installs();
    assert.deepEqual(
      descending,
      [...descending].sort((a, b) => b - a),
    );
    await page.keyboard.press('Enter');
    assert.equal(await header.getAttribute('aria-sort'), 'ascending');
    const ascending = await installs();
    assert.deepEqual(
      ascending,
      [...ascending].sort((a, b) => a - b),
    );

    await tabTo(page, '#download');
    const [download] = await Promise.all([page.waitForEvent('download'), page.keyboard.press('Enter')]);
    const path = join(OUTPUT_DIR, download.suggestedFilename());
    await download.saveAs(path);
    assert.equal(download.suggestedFilename(), `aggregates-${app.record.app_id}-${week().from}-${week().to}.csv`);
    const csv = readFileSync(path, 'utf8');
    const exported = await getReport(service, app.record.app_id, { ...week(), format: 'csv' }, app.apiToken);
    const lines = (text: string) => text.split('\r\n').filter(Boolean);
    const [head, ...rows] = lines(csv);
    const [apiHead, ...apiRows] = lines(exported.text);
    assert.equal(head, apiHead);
    assert.deepEqual([...rows].sort(), [...apiRows].sort(), 'the same rows, byte for byte');
    const installsColumn = apiHead.split(',').indexOf('installs');
    const order = rows.map((row) => Number(row.split(',')[installsColumn]));
    assert.deepEqual(
      order,
      [...order].sort((a, b) => a - b),
      'in the order shown',
    );
  });

  it('changes group_by and the range, and refuses a range beyond 93 days', async () => {
    const page = await signedIn();
    await tabTo(page, 'input[name="group_by"][value="date"]');
    await page.keyboard.press('Space');
    const byDay = await apiReport(service, app, ['date', 'media_source']);
    await waitFor('the table by date and media source', async () => {
      const table = await tableTexts(page);
      return table.columns[0] === 'date' && JSON.stringify(table.rows) === JSON.stringify(expectedRows(byDay));
    });

    await page.check('input[name="range"][value="custom"]');
    await page.fill('#from', '2026-01-01');
    await page.fill('#to', '2026-04-04');
    await page.press('#to', 'Enter');
    assert.equal(await page.textContent('#range-error'), 'The range covers 94 days; at most 93 days can be shown.');
    const { from, to } = lastDays(3, new Date());
    await page.fill('#from', from);
    await page.fill('#to', to);
    await page.press('#to', 'Enter');
    await page.waitForFunction(
      (text) => document.getElementById('shown-range').textContent === text,
      `${from} to ${to} (3 days)`,
    );
    assert.equal(await page.isVisible('#range-error'), false);

    await page.check('input[name="range"][value="30"]');
    const month = lastDays(30, new Date());
    await page.waitForFunction(
      (text) => document.getElementById('shown-range').textContent === text,
      `${month.from} to ${month.to} (30 days)`,
    );
  });

  for (const [name, viewport] of [
    ['laptop', LAPTOP],
    ['phone', PHONE],
  ] as const) {
    it(`is readable at ${name} width (${viewport.width} px), and saves a screenshot`, async () => {
      const page = await signedIn(viewport);
      const layout = await page.evaluate(() => ({
        pageWidth: document.documentElement.scrollWidth,
        viewport: window.innerWidth,
        charts: [...document.querySelectorAll('canvas')].map((canvas: any) => canvas.getBoundingClientRect()),
        tableBoxRight: document.getElementById('report').getBoundingClientRect().right,
        fontPx: parseFloat(window.getComputedStyle(document.querySelector('#report-table td')).fontSize),
      }));
      assert.ok(
        layout.pageWidth <= layout.viewport,
        `the page does not scroll sideways (${layout.pageWidth} > ${layout.viewport})`,
      );
      for (const chart of layout.charts)
        assert.ok(chart.width >= Math.min(300, viewport.width - 60) && chart.right <= viewport.width);
      assert.ok(layout.tableBoxRight <= viewport.width, 'a wide table scrolls inside its own box');
      assert.ok(layout.fontPx >= 14);
      const path = join(OUTPUT_DIR, `dashboard-${name}.png`);
      await page.screenshot({ path, fullPage: true });
      console.error(`[dashboard] screenshot: ${path}`);
    });
  }
});

describe('the aggregates bundle, alone as in its image', () => {
  it('serves the same page: the bundle embeds it', async () => {
    const bundle = resolve(ROOT, 'dist/bundles/aggregates.js');
    const directory = mkdtempSync(join(tmpdir(), 'aggregates-bundle-'));
    copyFileSync(bundle, join(directory, 'aggregates.js'));
    const harness = await aggregatesUnderTest();
    const service = await startServiceProcess('aggregates', harness.env, { script: join(directory, 'aggregates.js') });
    try {
      const built = resolve(ROOT, 'services/aggregates/dist/dashboard/public');
      for (const [path, file] of [
        ['/dashboard', 'index.html'],
        ['/dashboard/dashboard.js', 'dashboard.js'],
        ['/dashboard/dashboard.css', 'dashboard.css'],
      ]) {
        const answer = await fetch(`${service.url}${path}`);
        assert.equal(answer.status, 200, path);
        assert.equal(await answer.text(), readFileSync(join(built, file), 'utf8'), path);
      }
    } finally {
      await service.stop();
      await harness.cleanUp();
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
