// The image's HEALTHCHECK: GET /health/live (contracts §1, liveness) of the service in this container,
// with nothing but node. Liveness, not readiness: a service whose Kafka or Redis is down answers /health
// with 503 but must not be marked unhealthy (and restarted) for it; Consul checks /health for routing.
// With PORT=0 the service picks its port, so the port is found from the listening sockets of the
// container's own processes (/proc/<pid>/fd -> socket inodes -> /proc/net/tcp{,6} LISTEN rows).
// Only 200 is healthy.
'use strict';
const fs = require('node:fs');
const http = require('node:http');

function ownSocketInodes() {
  const inodes = new Set();
  for (const pid of fs.readdirSync('/proc').filter((name) => /^\d+$/.test(name) && Number(name) !== process.pid)) {
    let fds = [];
    try {
      fds = fs.readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const match = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (match) inodes.add(match[1]);
      } catch {}
    }
  }
  return inodes;
}

function listeningPorts() {
  const inodes = ownSocketInodes();
  const ports = new Set();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let rows = [];
    try {
      rows = fs.readFileSync(table, 'utf8').trim().split('\n').slice(1);
    } catch {
      continue;
    }
    for (const row of rows) {
      const cols = row.trim().split(/\s+/);
      if (cols[3] === '0A' && inodes.has(cols[9])) ports.add(parseInt(cols[1].split(':')[1], 16));
    }
  }
  return [...ports];
}

// The service listens on BIND_ADDRESS (loopback by default); a wildcard bind answers on loopback too.
const bind = process.env.BIND_ADDRESS;
const host = bind && bind !== '0.0.0.0' && bind !== '::' ? bind : '127.0.0.1';

function probe(port) {
  return new Promise((resolve) => {
    const request = http.get({ host, port, path: '/health/live', timeout: 2000 }, (response) => {
      response.resume();
      resolve(response.statusCode === 200);
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(false));
  });
}

(async () => {
  const fixed = Number(process.env.PORT || 0);
  const ports = fixed > 0 ? [fixed] : listeningPorts();
  for (const port of ports) if (await probe(port)) process.exit(0);
  process.exit(1);
})();
