// The Etsy StatsD daemon, on loopback. No backend: tests and ops read what arrived
// through the admin port (8126: "counters", "gauges", "timers").
({
  port: Number(process.env.STATSD_PORT || 8125),
  address: '127.0.0.1',
  mgmt_address: '127.0.0.1',
  mgmt_port: Number(process.env.STATSD_ADMIN_PORT || 8126),
  backends: [],
  deleteIdleStats: false,
  // No backend reads the flushes, and a flush zeroes the counters: flush once a day so
  // what arrived stays readable on the admin port.
  flushInterval: 24 * 3600 * 1000,
});
