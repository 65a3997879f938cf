// A Faye 1.4.3 Bayeux server on 127.0.0.1 for agentload's interop tests.
//
// Prints "PORT <n>" once listening, then one line per event:
//   "SUBSCRIBED <clientId> <channel>", "PUBLISHED <count>", "FORGOT <clientId>".
// Reads commands on stdin, one per line:
//   "publish <channel> <count>": the server-side client publishes <count>
//     messages {seq, sentAtMs} (sentAtMs: wall clock, fractional ms since epoch);
//   "forget <clientId>": the engine destroys the client (its held connect is
//     flushed; its next request gets 401::Unknown client);
//   "exit".
// Environment: FAYE_TIMEOUT (seconds, default 5), FAYE_MOUNT (default /bayeux).
'use strict';

const http = require('http');
const readline = require('readline');
const { performance } = require('perf_hooks');
const faye = require('faye');

const timeout = Number(process.env.FAYE_TIMEOUT || 5);
const mount = process.env.FAYE_MOUNT || '/bayeux';
const bayeux = new faye.NodeAdapter({ mount, timeout });
const server = http.createServer();
bayeux.attach(server);

bayeux.on('subscribe', (clientId, channel) => console.log(`SUBSCRIBED ${clientId} ${channel}`));

function nowMs() {
  return performance.timeOrigin + performance.now();
}

async function publish(channel, count) {
  const client = bayeux.getClient();
  for (let seq = 0; seq < count; seq++) {
    await client.publish(channel, { seq, sentAtMs: nowMs() });
  }
  console.log(`PUBLISHED ${count}`);
}

const rl = readline.createInterface({ input: process.stdin });
rl.on('line', (line) => {
  const [cmd, a, b] = line.trim().split(/\s+/);
  if (cmd === 'publish') {
    publish(a, Number(b)).catch((e) => console.log(`ERROR ${e.message || e}`));
  } else if (cmd === 'forget') {
    bayeux._server._engine.destroyClient(a);
    console.log(`FORGOT ${a}`);
  } else if (cmd === 'exit') {
    process.exit(0);
  } else if (cmd) {
    console.log(`ERROR unknown command ${cmd}`);
  }
});
// The test harness closing stdin (or dying) ends this process.
rl.on('close', () => process.exit(0));

server.listen(0, '127.0.0.1', () => {
  console.log(`PORT ${server.address().port}`);
});
