// Preloaded into the Etsy StatsD daemon (0.9.0, its last release). It logs with util.log,
// which Node removed in v23; the project runs on a newer Node, so give the daemon its logger back.
const util = require('node:util');
if (typeof util.log !== 'function') {
  util.log = (...parts) => console.log(`${new Date().toISOString()} - ${util.format(...parts)}`);
}
