/**
 * The dashboard page: sign-in, controls, three charts and the rows table over the §7 aggregates
 * API, refreshed every 5 s. The data shaping lives in ../report-view (pure, unit-tested); this
 * file only wires it to the DOM and Chart.js.
 */
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
  type ChartConfiguration,
  type ChartType,
} from 'chart.js';
import {
  checkRange,
  assignColors,
  csvFileName,
  daysOf,
  describeChart,
  displayCell,
  formatCount,
  installsBySource,
  lastDays,
  nextSort,
  orderedGroupBy,
  problemMessage,
  reportTable,
  revenueByCurrency,
  sortRows,
  tableCsv,
  trafficByDay,
  type ApiReport,
  type ChartData,
  type DayRange,
  type GroupField,
  type ReportTable,
  type SortOrder,
} from '../report-view';

Chart.register(BarController, BarElement, CategoryScale, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip);

const REFRESH_MS = 5000;
/** sessionStorage only: gone when the tab closes, never sent anywhere but the Authorization header. */
const SESSION_KEY = 'mmp.dashboard.session';
const CHART_GROUP_BY: GroupField[] = ['date', 'media_source'];

interface Session {
  appId: string;
  token: string;
}

const element = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const found = document.getElementById(id);
  if (!found) throw new Error(`#${id} is missing from the page`);
  return found as T;
};

const state: {
  session?: Session;
  preset: string;
  custom?: DayRange;
  groupBy: GroupField[];
  sort?: SortOrder;
  table?: ReportTable;
  range?: DayRange;
  /** Each refresh's number; an answer to an older one is dropped. */
  generation: number;
  timer?: ReturnType<typeof setTimeout>;
  waitingForVisible: boolean;
  refreshes: number;
} = { preset: '7', groupBy: ['media_source'], generation: 0, waitingForVisible: false, refreshes: 0 };

// ---------------------------------------------------------------------------------------------
// Session

function loadSession(): Session | undefined {
  try {
    const value = JSON.parse(sessionStorage.getItem(SESSION_KEY) ?? 'null') as Partial<Session> | null;
    if (value && typeof value.appId === 'string' && typeof value.token === 'string')
      return { appId: value.appId, token: value.token };
  } catch {
    // A damaged entry is no session.
  }
  return undefined;
}

type Answer = { ok: true; report: ApiReport } | { ok: false; status: number; body: unknown };

async function fetchReport(session: Session, range: DayRange, groupBy: readonly GroupField[]): Promise<Answer> {
  const query = new URLSearchParams({ from: range.from, to: range.to, group_by: groupBy.join(',') });
  try {
    const response = await fetch(`/v1/apps/${encodeURIComponent(session.appId)}/aggregates?${query}`, {
      headers: { authorization: `Bearer ${session.token}`, accept: 'application/json' },
      cache: 'no-store',
      credentials: 'omit',
    });
    const body: unknown = await response.json().catch(() => undefined);
    if (response.ok) return { ok: true, report: body as ApiReport };
    return { ok: false, status: response.status, body };
  } catch {
    return { ok: false, status: 0, body: undefined };
  }
}

function showMessage(id: string, message: string | undefined): void {
  const target = element(id);
  target.textContent = message ?? '';
  target.hidden = !message;
}

function showSignIn(message?: string): void {
  element('dashboard').hidden = true;
  element('session').hidden = true;
  element('sign-in').hidden = false;
  showMessage('sign-in-error', message);
  element<HTMLInputElement>(state.session || message ? 'api-token' : 'app-id').focus();
}

function showDashboard(session: Session): void {
  state.session = session;
  element('session-app').textContent = session.appId;
  element('session').hidden = false;
  element('sign-in').hidden = true;
  element('dashboard').hidden = false;
  ensureCharts();
  void refresh();
}

function signOut(message?: string): void {
  sessionStorage.removeItem(SESSION_KEY);
  clearTimeout(state.timer);
  state.generation++;
  if (state.session) element<HTMLInputElement>('app-id').value = state.session.appId;
  state.session = undefined;
  state.table = undefined;
  showSignIn(message);
}

async function signIn(event: SubmitEvent): Promise<void> {
  event.preventDefault();
  const appId = element<HTMLInputElement>('app-id').value.trim();
  const tokenInput = element<HTMLInputElement>('api-token');
  const token = tokenInput.value.trim();
  if (!appId || !token) {
    showMessage('sign-in-error', 'Enter the app id and its API token.');
    element<HTMLInputElement>(appId ? 'api-token' : 'app-id').focus();
    return;
  }
  const button = element<HTMLButtonElement>('sign-in-button');
  button.disabled = true;
  button.textContent = 'Signing in…';
  const answer = await fetchReport({ appId, token }, lastDays(7, new Date()), ['media_source']);
  button.disabled = false;
  button.textContent = 'Sign in';
  if (!answer.ok) {
    showMessage('sign-in-error', problemMessage(answer.status, answer.body, appId).message);
    tokenInput.select();
    tokenInput.focus();
    return;
  }
  tokenInput.value = '';
  showMessage('sign-in-error', undefined);
  sessionStorage.setItem(SESSION_KEY, JSON.stringify({ appId, token }));
  showDashboard({ appId, token });
  element('dashboard-title').focus();
}

// ---------------------------------------------------------------------------------------------
// Refresh

function currentRange(): DayRange | undefined {
  // "Custom" ticked but no range shown yet: keep refreshing what is on screen meanwhile.
  if (state.preset === 'custom') return state.custom ?? state.range;
  return lastDays(Number(state.preset), new Date());
}

function schedule(): void {
  clearTimeout(state.timer);
  state.timer = setTimeout(() => void refresh(), REFRESH_MS);
}

/**
 * Asks for the charts' rows (by date and media source) and the table's rows (by the chosen
 * group_by, the same answer when it is the same), then redraws in place: no blank state between
 * two answers, so nothing flickers and the scroll position stays.
 */
async function refresh(): Promise<void> {
  clearTimeout(state.timer);
  const session = state.session;
  if (!session) return;
  if (document.hidden) {
    // A hidden tab asks for nothing; it refreshes the moment it shows again.
    state.waitingForVisible = true;
    return;
  }
  const range = currentRange();
  if (!range) return;
  const generation = ++state.generation;
  const sameRows = state.groupBy.join() === CHART_GROUP_BY.join();
  const [charts, rows] = await Promise.all([
    fetchReport(session, range, CHART_GROUP_BY),
    sameRows ? undefined : fetchReport(session, range, state.groupBy),
  ]);
  if (generation !== state.generation) return;
  const failed = [charts, rows].find((answer): answer is Extract<Answer, { ok: false }> => answer !== undefined && !answer.ok);
  if (failed || !charts.ok) {
    const problem = problemMessage(failed?.status ?? 0, failed?.body, session.appId);
    if (problem.signOut) return signOut(problem.message);
    showMessage('report-error', problem.message);
    element('updated').textContent = 'Showing the last answer';
    schedule();
    return;
  }
  showMessage('report-error', undefined);
  state.range = range;
  const days = daysOf(range);
  drawCharts(charts.report, days);
  state.table = reportTable(rows?.ok ? rows.report : charts.report);
  drawTable(state.table);
  element('shown-range').textContent = `${range.from} to ${range.to} (${days.length} days)`;
  element('updated').textContent = `Updated ${new Date().toLocaleTimeString()}, every 5 s`;
  state.refreshes++;
  document.body.dataset.refreshes = String(state.refreshes);
  schedule();
}

document.addEventListener('visibilitychange', () => {
  if (!document.hidden && state.waitingForVisible) {
    state.waitingForVisible = false;
    void refresh();
  }
});

// ---------------------------------------------------------------------------------------------
// Charts

const charts: Partial<Record<'installs' | 'traffic' | 'revenue', Chart>> = {};
/** Media sources and currencies keep their colour for as long as the page is open. */
let colors = new Map<string, string>();

function axes(yTitle: string, stacked: boolean): NonNullable<ChartConfiguration['options']>['scales'] {
  return {
    x: { stacked, title: { display: true, text: 'Day (UTC)' }, ticks: { maxRotation: 0, autoSkipPadding: 12 } },
    y: { stacked, beginAtZero: true, title: { display: true, text: yTitle }, ticks: { precision: 0 } },
  };
}

function makeChart(
  id: string,
  type: ChartType,
  scales: NonNullable<ChartConfiguration['options']>['scales'],
  usePointStyle = false,
): Chart {
  return new Chart(element<HTMLCanvasElement>(id), {
    type,
    data: { labels: [], datasets: [] },
    options: {
      // Redrawn every 5 s: an animation would make every refresh move.
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      interaction: { mode: 'index', intersect: false },
      plugins: { legend: { position: 'bottom', labels: { boxWidth: 14, usePointStyle } } },
      scales,
    },
  });
}

function ensureCharts(): void {
  charts.installs ??= makeChart('installs-chart', 'bar', axes('Installs', true));
  charts.traffic ??= makeChart(
    'traffic-chart',
    'line',
    {
      ...axes('Clicks', false),
      y1: {
        position: 'right',
        beginAtZero: true,
        title: { display: true, text: 'Impressions' },
        grid: { drawOnChartArea: false },
        ticks: { precision: 0 },
      },
    },
    true,
  );
  charts.revenue ??= makeChart('revenue-chart', 'bar', {
    ...axes('Revenue per currency', false),
    // Amounts, not counts: decimals are fine here.
    y: { beginAtZero: true, title: { display: true, text: 'Revenue per currency' } },
  });
}

/** Replaces the chart's series in place (same dataset objects where the label stays) and redraws without animation. */
function setSeries(chart: Chart, data: ChartData, style: (label: string, index: number) => Record<string, unknown>): void {
  chart.data.labels = data.labels;
  const previous = new Map(chart.data.datasets.map((dataset) => [dataset.label, dataset]));
  chart.data.datasets = data.series.map((series, index) => {
    const dataset = previous.get(series.label) ?? { label: series.label, data: [] };
    dataset.data = series.data;
    return Object.assign(dataset, style(series.label, index));
  });
  chart.update('none');
}

function describe(id: string, text: string): void {
  element(id).setAttribute('aria-label', text);
  element(`${id}-text`).textContent = text;
}

function drawCharts(report: ApiReport, days: string[]): void {
  const installs = installsBySource(report.rows, days);
  const revenue = revenueByCurrency(report.rows, days);
  colors = assignColors(
    [...installs.series, ...revenue.series].map((series) => series.label),
    colors,
  );
  const colored = (label: string) => ({ backgroundColor: colors.get(label), borderColor: colors.get(label) });
  setSeries(charts.installs!, installs, colored);
  describe('installs-chart', describeChart('Installs per day by media source', installs));

  const traffic = trafficByDay(report.rows, days);
  const trafficColors = ['#0072B2', '#E69F00'];
  setSeries(charts.traffic!, traffic, (label, index) => ({
    yAxisID: index === 0 ? 'y' : 'y1',
    borderColor: trafficColors[index],
    backgroundColor: trafficColors[index],
    // Told apart by dash and marker too, not by colour alone.
    borderDash: index === 0 ? [] : [6, 4],
    pointStyle: index === 0 ? 'circle' : 'rectRot',
    pointRadius: days.length > 31 ? 0 : 3,
    tension: 0.2,
  }));
  describe('traffic-chart', describeChart('Clicks and impressions per day', traffic));

  setSeries(charts.revenue!, revenue, colored);
  describe(
    'revenue-chart',
    describeChart('Revenue per day by currency', revenue, (value) => value.toLocaleString('en-US', { maximumFractionDigits: 6 })),
  );
}

// ---------------------------------------------------------------------------------------------
// Table

let headerSignature = '';

function drawHeader(table: ReportTable): void {
  const head = element<HTMLTableElement>('report-table').tHead!;
  const signature = table.columns.map((column) => column.id).join();
  if (signature !== headerSignature) {
    // Rebuilt only when the columns change, so a focused sort button keeps its focus across refreshes.
    headerSignature = signature;
    const row = document.createElement('tr');
    for (const column of table.columns) {
      const cell = document.createElement('th');
      cell.scope = 'col';
      cell.className = column.kind === 'text' ? 'text' : 'number';
      cell.dataset.column = column.id;
      const button = document.createElement('button');
      button.type = 'button';
      button.append(column.label, Object.assign(document.createElement('span'), { className: 'arrow' }));
      button.addEventListener('click', () => {
        state.sort = nextSort(state.sort, column);
        if (state.table) drawTable(state.table);
      });
      cell.append(button);
      row.append(cell);
    }
    head.replaceChildren(row);
  }
  for (const cell of head.querySelectorAll<HTMLTableCellElement>('th')) {
    const sorted = state.sort && state.sort.column === cell.dataset.column ? state.sort.direction : undefined;
    if (sorted) cell.setAttribute('aria-sort', sorted);
    else cell.removeAttribute('aria-sort');
    cell.querySelector('.arrow')!.textContent = sorted === 'ascending' ? ' ▲' : sorted === 'descending' ? ' ▼' : '';
  }
}

/** Puts the texts into `row`'s cells, touching only what changed. */
function fillRow(row: HTMLTableRowElement, texts: string[], kinds: string[]): void {
  while (row.cells.length > texts.length) row.deleteCell(-1);
  while (row.cells.length < texts.length) row.insertCell();
  texts.forEach((text, index) => {
    const cell = row.cells[index];
    if (cell.textContent !== text) cell.textContent = text;
    const className = kinds[index] === 'text' ? 'text' : 'number';
    if (cell.className !== className) cell.className = className;
    cell.removeAttribute('colspan');
  });
}

function drawTable(table: ReportTable): void {
  if (state.sort && !table.columns.some((column) => column.id === state.sort!.column)) state.sort = undefined;
  drawHeader(table);
  const kinds = table.columns.map((column) => column.kind);
  const body = element<HTMLTableElement>('report-table').tBodies[0];
  const rows = sortRows(table, state.sort);
  if (rows.length === 0) {
    const row = body.rows[0] ?? body.insertRow();
    while (body.rows.length > 1) body.deleteRow(-1);
    fillRow(row, ['No data for these days yet.'], ['text']);
    row.cells[0].colSpan = table.columns.length;
  } else {
    while (body.rows.length > rows.length) body.deleteRow(-1);
    rows.forEach((tableRow, index) => {
      const row = body.rows[index] ?? body.insertRow();
      row.dataset.key = tableRow.key;
      fillRow(
        row,
        tableRow.values.map((value, column) => displayCell(value, table.columns[column])),
        kinds,
      );
    });
  }
  const foot = element<HTMLTableElement>('report-table').tFoot!;
  if (!table.totals) foot.replaceChildren();
  else {
    const row = foot.rows[0] ?? foot.insertRow();
    fillRow(
      row,
      table.totals.map((value, column) =>
        value === null && column < table.columns.length && kinds[column] === 'text'
          ? ''
          : displayCell(value, table.columns[column]),
      ),
      kinds,
    );
  }
  element('report-title').textContent = `Rows (${formatCount(table.rows.length)})`;
}

function downloadCsv(): void {
  if (!state.table || !state.session || !state.range) return;
  const csv = tableCsv(state.table.columns, sortRows(state.table, state.sort));
  const url = URL.createObjectURL(new Blob([csv], { type: 'text/csv;charset=utf-8' }));
  const link = Object.assign(document.createElement('a'), { href: url, download: csvFileName(state.session.appId, state.range) });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

// ---------------------------------------------------------------------------------------------
// Controls

function checkedPreset(): string {
  return document.querySelector<HTMLInputElement>('input[name="range"]:checked')?.value ?? '7';
}

function onRangeChoice(): void {
  state.preset = checkedPreset();
  const custom = state.preset === 'custom';
  element('custom-range').hidden = !custom;
  showMessage('range-error', undefined);
  if (!custom) return void refresh();
  // Starts from what is shown; the new range applies on "Show" (or Enter).
  const shown = state.range ?? lastDays(7, new Date());
  element<HTMLInputElement>('from').value ||= shown.from;
  element<HTMLInputElement>('to').value ||= shown.to;
}

function applyCustomRange(event: SubmitEvent): void {
  event.preventDefault();
  if (state.preset !== 'custom') return;
  const checked = checkRange(element<HTMLInputElement>('from').value, element<HTMLInputElement>('to').value);
  if (!checked.ok) return showMessage('range-error', checked.message);
  showMessage('range-error', undefined);
  state.custom = checked.range;
  void refresh();
}

function onGroupByChoice(): void {
  const ticked = [...document.querySelectorAll<HTMLInputElement>('input[name="group_by"]:checked')].map((input) => input.value);
  state.groupBy = orderedGroupBy(ticked);
  void refresh();
}

// ---------------------------------------------------------------------------------------------
// Start

function start(): void {
  const today = new Date().toISOString().slice(0, 10);
  element<HTMLInputElement>('from').max = today;
  element<HTMLInputElement>('to').max = today;
  element<HTMLFormElement>('sign-in-form').addEventListener('submit', (event) => void signIn(event));
  element('sign-out').addEventListener('click', () => signOut());
  element<HTMLFormElement>('controls').addEventListener('submit', applyCustomRange);
  for (const input of document.querySelectorAll<HTMLInputElement>('input[name="range"]'))
    input.addEventListener('change', onRangeChoice);
  for (const input of document.querySelectorAll<HTMLInputElement>('input[name="group_by"]'))
    input.addEventListener('change', onGroupByChoice);
  element('download').addEventListener('click', downloadCsv);
  element('dashboard-title').tabIndex = -1;
  state.preset = checkedPreset();
  state.groupBy = orderedGroupBy(
    [...document.querySelectorAll<HTMLInputElement>('input[name="group_by"]:checked')].map((input) => input.value),
  );
  const session = loadSession();
  if (session) showDashboard(session);
  else showSignIn();
}

start();
