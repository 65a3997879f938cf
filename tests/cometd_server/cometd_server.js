// CometD's Node.js server (npm cometd-nodejs-server 1.2.1) on 127.0.0.1 for
// the Bayeux client's interop tests (tests/integration/cometd_interop.rs).
//
// Prints "PORT <n>" once listening, then one line per event:
//   "HANDSHOOK <clientId>", "SUBSCRIBED <clientId> <channel>",
//   "REMOVED <clientId> <timeout|disconnect>", "PUBLISHED <count>",
//   "DROPPED <count>" (requests whose socket was closed, see COMETD_DROP_REUSED).
// Reads commands on stdin, one per line:
//   "publish <channel> <count>": the server publishes <count> messages {seq};
//   "disconnect <clientId>": server-side session.disconnect() (the held
//     connect returns a /meta/disconnect reply with the connect reply);
//   "advise-handshake <clientId> <channel>": the next connect reply to the
//     client is successful but advises reconnect "handshake"; one message
//     {seq: 0} is published on <channel> so that reply carries it;
//   "exit".
// Environment (all optional):
//   COMETD_TIMEOUT, COMETD_INTERVAL, COMETD_MAX_INTERVAL: the server's advice, ms;
//   COMETD_ACK=1: the acknowledged-messages extension (cometd-nodejs-server/ack-extension);
//   COMETD_KEEPALIVE_MS: Node's idle keep-alive timeout of the HTTP server;
//   COMETD_PORT: listen on this port (default: a free one), so a restarted
//     server is found where the old one was;
//   COMETD_DROP_REUSED=1: a request arriving on a socket whose last answer was
//     a /meta/connect reply finds the socket closed, as when Node's keep-alive
//     timer fires just as the request arrives (the race, made deterministic).
'use strict';

const http = require('http');
const readline = require('readline');
const cometd = require('cometd-nodejs-server');
const { AcknowledgedMessagesExtension } = require('cometd-nodejs-server/ack-extension');

function option(name) {
  const v = process.env[name];
  return v === undefined || v === '' ? undefined : Number(v);
}

const options = {};
for (const [key, env] of [['timeout', 'COMETD_TIMEOUT'], ['interval', 'COMETD_INTERVAL'], ['maxInterval', 'COMETD_MAX_INTERVAL']]) {
  if (option(env) !== undefined) options[key] = option(env);
}
const server = cometd.createCometDServer(options);
if (process.env.COMETD_ACK === '1') {
  server.addExtension(new AcknowledgedMessagesExtension());
}

const adviseHandshake = new Set();
server.addExtension({
  outgoing: (srv, sender, session, message, callback) => {
    if (message.channel === '/meta/connect' && session && adviseHandshake.delete(session.id)) {
      message.advice = Object.assign(message.advice || {}, { reconnect: 'handshake' });
    }
    callback(undefined, true);
  },
});

server.addListener('sessionAdded', (session) => console.log(`HANDSHOOK ${session.id}`));
server.addListener('sessionRemoved', (session, timeout) =>
  console.log(`REMOVED ${session.id} ${timeout ? 'timeout' : 'disconnect'}`));
server.addListener('subscribed', (channel, session) => console.log(`SUBSCRIBED ${session.id} ${channel.name}`));

const dropReused = process.env.COMETD_DROP_REUSED === '1';
let dropped = 0;
const httpServer = http.createServer((req, res) => {
  const socket = req.socket;
  if (dropReused && socket.lastWasConnect) {
    socket.destroy();
    console.log(`DROPPED ${++dropped}`);
    return;
  }
  socket.lastWasConnect = false;
  const end = res.end.bind(res);
  res.end = (chunk, ...rest) => {
    socket.lastWasConnect = typeof chunk === 'string' && chunk.includes('"/meta/connect"');
    return end(chunk, ...rest);
  };
  server.handle(req, res);
});
if (option('COMETD_KEEPALIVE_MS') !== undefined) {
  httpServer.keepAliveTimeout = option('COMETD_KEEPALIVE_MS');
}

function publish(channel, count) {
  const ch = server.createServerChannel(channel);
  for (let seq = 0; seq < count; seq++) {
    ch.publish(null, { seq });
  }
  console.log(`PUBLISHED ${count}`);
}

const rl = readline.createInterface({ input: process.stdin });
rl.on('line', (line) => {
  const [cmd, a, b] = line.trim().split(/\s+/);
  if (cmd === 'publish') {
    publish(a, Number(b));
  } else if (cmd === 'disconnect') {
    const session = server.getServerSession(a);
    if (!session) {
      console.log(`ERROR no session ${a}`);
    } else {
      session.disconnect();
    }
  } else if (cmd === 'advise-handshake') {
    adviseHandshake.add(a);
    publish(b, 1);
  } else if (cmd === 'exit') {
    process.exit(0);
  } else if (cmd) {
    console.log(`ERROR unknown command ${cmd}`);
  }
});
// The test harness closing stdin (or dying) ends this process.
rl.on('close', () => process.exit(0));

httpServer.listen(option('COMETD_PORT') || 0, '127.0.0.1', () => {
  console.log(`PORT ${httpServer.address().port}`);
});
