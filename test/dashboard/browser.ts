import { execFile } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ROOT } from '../support/infra';

const run = promisify(execFile);

// Code passed to page.evaluate runs in the page; the test project has no DOM types (Node only).
declare const document: any;

/** Where the browser tests leave their screenshots and downloads. */
export const OUTPUT_DIR = resolve(ROOT, 'dist/test-output/dashboard');

/**
 * Debian's chromium, driven by playwright-core (no browser download). Like infra.sh does for
 * redis-server, a root shell with apt-get installs it when it is missing; `CHROMIUM_PATH` picks another.
 */
export async function launchChromium(): Promise<Browser> {
  const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!existsSync(executablePath)) {
    if (process.env.CHROMIUM_PATH || process.getuid?.() !== 0 || !existsSync('/usr/bin/apt-get'))
      throw new Error(`${executablePath} is missing: install Debian's chromium ('sudo apt-get install -y chromium')`);
    await run('bash', ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium'], {
      timeout: 600_000,
    });
  }
  mkdirSync(OUTPUT_DIR, { recursive: true });
  return chromium.launch({ executablePath, args: ['--no-sandbox'] });
}

/** What a page did that it should not: script errors, CSP violations, requests to anywhere but `origin`. */
export function watchPage(page: Page, origin: string): { problems: string[] } {
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    // The browser logs every non-2xx answer; the wrong-token tests cause 401s and 404s on purpose.
    if (
      message.type() === 'error' &&
      !/^Failed to load resource: the server responded with a status of 40[14]/.test(message.text())
    )
      problems.push(`console error: ${message.text()}`);
  });
  page.on('request', (request) => {
    const url = request.url();
    if (!url.startsWith(`${origin}/`) && !url.startsWith('blob:') && !url.startsWith('data:'))
      problems.push(`request to elsewhere: ${url}`);
  });
  return { problems };
}

/** Presses Tab until `selector` has the focus: proves it can be reached with the keyboard alone. */
export async function tabTo(page: Page, selector: string, maxPresses = 40): Promise<void> {
  for (let presses = 0; presses < maxPresses; presses++) {
    if (await page.evaluate((wanted) => document.activeElement?.matches(wanted) ?? false, selector)) return;
    await page.keyboard.press('Tab');
  }
  const focused = await page.evaluate(() => document.activeElement?.outerHTML.slice(0, 120));
  throw new Error(`${selector} not reached with ${maxPresses} Tab presses; the focus is on ${focused}`);
}

/** The table as texts: header labels, body rows, totals row. */
export async function tableTexts(page: Page): Promise<{ columns: string[]; rows: string[][]; totals: string[] }> {
  return page.evaluate(() => {
    const table = document.getElementById('report-table');
    const texts = (row: any): string[] => [...row.cells].map((cell: any) => cell.textContent.trim());
    return {
      columns: [...table.tHead.querySelectorAll('th')].map((cell: any) => cell.dataset.column as string),
      rows: [...table.tBodies[0].rows].map(texts),
      totals: table.tFoot.rows[0] ? texts(table.tFoot.rows[0]) : [],
    };
  });
}
