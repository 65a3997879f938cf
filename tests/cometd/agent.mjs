// An agent written with the official CometD JavaScript client (npm `cometd`
// + `cometd-nodejs-client`), driving `agentload serve` the way a GWS agent
// desktop would: Basic auth, handshake, subscribe, start session, Ready,
// invite -> accept -> finish for email, invite -> revoke -> re-invite ->
// accept -> customer message -> complete for chat. Exits 0 and prints
// "COMETD-AGENT OK" when every step checked out; exits 1 with the reason otherwise.
//
// usage: node agent.mjs http://127.0.0.1:PORT USER PASSWORD
import { adapt } from "cometd-nodejs-client";
import { CometD } from "cometd";

adapt();

const [base, user, password] = process.argv.slice(2);
const auth = "Basic " + Buffer.from(`${user}:${password}`).toString("base64");
let jsession = null;

function fail(msg) {
  console.error("COMETD-AGENT FAILED: " + msg);
  process.exit(1);
}
setTimeout(() => fail("did not finish within 40 s"), 40000).unref();

async function rest(method, path, body) {
  const headers = { Authorization: auth };
  if (jsession) headers.Cookie = jsession;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const res = await fetch(base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const cookie = res.headers.get("set-cookie");
  if (cookie && cookie.startsWith("JSESSIONID=")) jsession = cookie.split(";")[0];
  const json = await res.json();
  if (json.statusCode !== 0) fail(`${method} ${path} -> ${JSON.stringify(json)}`);
  return json;
}

async function gms(path, fields) {
  const res = await fetch(base + path, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(fields).toString(),
  });
  const json = await res.json();
  if (json.statusCode !== 0) fail(`POST ${path} -> ${JSON.stringify(json)}`);
  return json;
}

// Notifications, and waiters for the next one matching a predicate.
const seen = [];
const waiters = [];
function onMessage(message) {
  seen.push(message);
  for (let i = 0; i < waiters.length; i++) {
    if (waiters[i].pred(message)) {
      waiters[i].resolve(message);
      waiters.splice(i, 1);
      return;
    }
  }
}
function next(what, pred, ms = 15000) {
  const idx = seen.findIndex(pred);
  if (idx >= 0) return Promise.resolve(seen.splice(idx, 1)[0]);
  return new Promise((resolve) => {
    const t = setTimeout(() => fail(`no ${what} within ${ms} ms`), ms);
    waiters.push({ pred: (m) => { if (pred(m)) { clearTimeout(t); const i = seen.indexOf(m); if (i >= 0) seen.splice(i, 1); return true; } return false; }, resolve });
  });
}
const interaction = (id, state) => (m) =>
  m.channel === "/v2/me/interactions" && m.data.state === state && (id === null || m.data.id === id);

const cometd = new CometD();
cometd.unregisterTransport("websocket");
cometd.configure({ url: base + "/api/v2/notifications", requestHeaders: { Authorization: auth }, logLevel: "warn" });

await rest("GET", "/api/v2/me");
await new Promise((resolve) =>
  cometd.handshake((reply) => (reply.successful ? resolve() : fail("handshake: " + JSON.stringify(reply))))
);
await new Promise((resolve) =>
  cometd.subscribe("/v2/me/*", onMessage, (reply) => (reply.successful ? resolve() : fail("subscribe: " + JSON.stringify(reply))))
);
await rest("POST", "/api/v2/me", { operationName: "StartContactCenterSession", channels: ["email", "chat"] });
await rest("POST", "/api/v2/me/channels/email", { operationName: "Ready" });
const ready = await next("Ready confirmation", (m) => m.channel === "/v2/me/channels");
if (ready.data.messageType !== "ChannelStateChangeMessageV2" || ready.data.channels[0].userState.state !== "Ready")
  fail("bad channel notification " + JSON.stringify(ready.data));

// Email: invite -> accept -> stop processing.
const email = await gms("/genesys/2/email/inbound", {
  fromAddress: "customer@example.com", subject: "Order 42", text: "Where is my order?",
  "userData[agentload_seq]": "17", "userData[agentload_t0_us]": "1732456789123456",
});
const invite = await next("email invite", interaction(email.interactionId, "Invited"));
if (JSON.stringify(invite.data.capabilities) !== '["Accept","Reject"]') fail("invite capabilities " + invite.data.capabilities);
if (invite.data.userData.agentload_seq !== "17" || invite.data.userData.agentload_t0_us !== "1732456789123456")
  fail("userData not carried: " + JSON.stringify(invite.data.userData));
await rest("POST", `/api/v2/me/interactions/${email.interactionId}`, { operationName: "Accept" });
const accepted = await next("email Accepted", interaction(email.interactionId, "Accepted"));
if (accepted.data.email_object.text !== "Where is my order?") fail("email text missing " + JSON.stringify(accepted.data.email_object));
await rest("POST", `/api/v2/me/interactions/${email.interactionId}`, { operationName: "StopProcessing" });

// Chat: no answer -> Revoked -> offered again (the only Ready agent) -> accept -> messages -> complete.
await rest("POST", "/api/v2/me/channels/chat", { operationName: "Ready" });
const chat = await gms("/genesys/2/chat/customer-support", { nickname: "Ann", subject: "Help", "userData[agentload_seq]": "18" });
await next("chat invite", interaction(chat.chatId, "Invited"));
await next("chat revoke after the invite timeout", interaction(chat.chatId, "Revoked"));
await next("chat re-invite", interaction(chat.chatId, "Invited"));
await rest("POST", `/api/v2/me/interactions/${chat.chatId}`, { operationName: "Accept", nickname: "Agent" });
const chatAccepted = await next("chat Accepted", interaction(chat.chatId, "Accepted"));
if (!chatAccepted.data.chat_notifications.some((n) => n.MessageType === "PARTY_JOINED")) fail("no PARTY_JOINED on accept");
await gms(`/genesys/2/chat/customer-support/${chat.chatId}/send`, { message: "hello", secureKey: chat.secureKey, userId: chat.userId, alias: chat.alias });
const msg = await next("customer message", (m) => interaction(chat.chatId, "Accepted")(m) && m.data.chat_notifications[0].MessageType === "NEW_MESSAGE");
if (msg.data.chat_notifications[0].MessageText !== "hello") fail("wrong message " + JSON.stringify(msg.data.chat_notifications));
await rest("POST", `/api/v2/me/interactions/${chat.chatId}`, { operationName: "SendMessage", text: "hi Ann" });
await rest("POST", `/api/v2/me/interactions/${chat.chatId}`, { operationName: "Complete" });

const stats = await (await fetch(base + "/sim/stats")).json();
if (stats.injected !== 2 || stats.completed !== 2 || stats.accepted !== 2 || stats.revoked < 1)
  fail("unexpected stats " + JSON.stringify(stats));
if (stats.injected !== stats.queued + stats.offering + stats.in_progress + stats.completed) fail("counts do not add up " + JSON.stringify(stats));

await new Promise((resolve) => cometd.disconnect(() => resolve()));
await rest("POST", "/api/v2/me", { operationName: "EndContactCenterSession" });
console.log("COMETD-AGENT OK " + JSON.stringify(stats));
process.exit(0);
