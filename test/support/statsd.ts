import { connect } from 'node:net';

type AdminCommand = 'counters' | 'gauges' | 'timers';

/**
 * Reads what the real StatsD daemon holds through its admin port (8126). The daemon
 * prints a JavaScript object literal, not JSON, so the names are matched by pattern.
 */
export function statsdAdmin(command: AdminCommand): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port: 8126 });
    let text = '';
    socket.setEncoding('utf8');
    socket.setTimeout(3000, () => socket.destroy(new Error('statsd admin timed out')));
    socket.on('connect', () => socket.write(`${command}\n`));
    socket.on('data', (chunk) => {
      text += chunk;
      if (text.includes('\nEND')) {
        socket.end();
        resolve(text);
      }
    });
    socket.on('error', reject);
  });
}

/** The metric names (with their graphite tags, `name;tag=value;...`) the daemon has for a command. */
export async function statsdNames(command: AdminCommand): Promise<string[]> {
  const text = await statsdAdmin(command);
  return [...text.matchAll(/'([^']+)'\s*:/g)].map((match) => match[1]);
}

/** The value of a counter or gauge whose name starts with the prefix and carries every tag. */
export async function statsdValue(
  command: 'counters' | 'gauges',
  name: string,
  tags: Record<string, string> = {},
): Promise<number | undefined> {
  const text = await statsdAdmin(command);
  let total: number | undefined;
  for (const match of text.matchAll(/'([^']+)'\s*:\s*(-?[\d.e+]+)/g)) {
    const [metric, ...tagParts] = match[1].split(';');
    if (metric !== name) continue;
    const metricTags = Object.fromEntries(tagParts.map((part) => part.split('=') as [string, string]));
    if (Object.entries(tags).every(([key, value]) => metricTags[key] === value)) total = (total ?? 0) + Number(match[2]);
  }
  return total;
}
