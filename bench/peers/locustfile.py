"""The agentload agent flow written for Locust, as faithfully as Locust allows,
so bench/run can set the two side by side against the same `agentload serve`.

Each Locust user is one contact-center agent doing what agentload's agent does
(src/agent/task.rs): GET /api/v2/me?subresources=* with Basic auth (taking the
CSRF token when offered), Bayeux handshake, one subscribe each to
/v2/me/interactions and /v2/me/channels, StartContactCenterSession, Ready per
channel (concurrently with the connect loop, as agentload's actions run), then
one /meta/connect outstanding at a time (the first with advice timeout 0).
Invites are answered in their own greenlets, so a held connect never waits
behind an Accept: Accept after the answer delay, wait for the Accepted
notification, handle, Complete (the 8.5.1 finish). invite_delivery is taken
from the same userData timestamp agentload's injector writes
(AgentloadCreatedUs, intended creation time in µs since the Unix epoch; see
src/agent/marker.rs), on an interaction's first offer only.

With BENCH_EMAIL_RATE > 0, an injector greenlet in this process creates
emails through POST /genesys/2/email/{service} at that constant rate once
every user is spawned, against a fixed schedule (an open model), with the same
form fields as src/engine/injector.rs.

Measurements go to BENCH_HLOG, a standard HdrHistogram interval log (1 µs ..
1 h, 3 significant digits, like agentload's), one `connect_cycle` and one
`invite_delivery` histogram per interval, so the harness reads both tools'
logs the same way.

Settings (environment): BENCH_PASSWORD, BENCH_CHANNELS (comma-separated),
BENCH_PLACE (template with {n}, empty for none), BENCH_RUN_ID, BENCH_SERVICE,
BENCH_EMAIL_RATE (per second), BENCH_ANSWER_DELAY_S, BENCH_HANDLE_S,
BENCH_HLOG, BENCH_INTERVAL_S.
"""

import base64
import itertools
import json
import os
import select
import time
import urllib.parse

import gevent
import gevent.monkey
import gevent.pool
from gevent.event import Event
from geventhttpclient import connectionpool
from hdrh.histogram import HdrHistogram
from locust import FastHttpUser, events, task
from locust.contrib.fasthttp import FastHttpSession

# geventhttpclient 2.6.1 checks a pooled socket with select() before reusing
# it; select() fails for descriptors >= 1024 (ValueError), which the pool
# takes for a dead socket, so above ~1,000 users every request would open a
# new connection. The same check with poll(), which has no such limit: a fair
# comparison measures Locust, not that bug.
_poll = gevent.monkey.get_original("select", "poll")
_NOT_IDLE = select.POLLIN | select.POLLPRI | select.POLLERR | select.POLLHUP | select.POLLNVAL


def _is_socket_alive(self, sock):
    """An idle keep-alive socket is alive when nothing can be read from it."""
    if sock is None:
        return False
    try:
        fd = sock.fileno()
        if fd < 0:
            return False
        poller = _poll()
        poller.register(fd, _NOT_IDLE)
        return not poller.poll(0)
    except (OSError, ValueError):
        return False


connectionpool.ConnectionPool._is_socket_alive = _is_socket_alive

PASSWORD = os.environ.get("BENCH_PASSWORD", "password")
CHANNELS = [c for c in os.environ.get("BENCH_CHANNELS", "email,chat").split(",") if c]
PLACE = os.environ.get("BENCH_PLACE", "Place_{n}")
RUN_ID = os.environ.get("BENCH_RUN_ID", "bench-locust")
SERVICE = os.environ.get("BENCH_SERVICE", "agentload")
EMAIL_RATE = float(os.environ.get("BENCH_EMAIL_RATE", "0"))
ANSWER_DELAY_S = float(os.environ.get("BENCH_ANSWER_DELAY_S", "0.1"))
HANDLE_S = float(os.environ.get("BENCH_HANDLE_S", "1"))
HLOG = os.environ.get("BENCH_HLOG", "locust.hlog")
INTERVAL_S = float(os.environ.get("BENCH_INTERVAL_S", "1"))

NOTIFICATIONS = "/api/v2/notifications"
JSON_TYPE = "application/json;charset=UTF-8"
ACCEPT_CONFIRM_WAIT_S = 5.0
MARK_RUN, MARK_SEQ, MARK_CREATED_US = "AgentloadRun", "AgentloadSeq", "AgentloadCreatedUs"

_numbers = itertools.count(1)
# Sequence numbers already offered once: delivery is measured on first offers.
_offered = set()


def _histogram():
    return HdrHistogram(1, 3_600_000_000, 3)


class Recorder:
    """Interval histograms of connect_cycle and invite_delivery (µs)."""

    TAGS = ("connect_cycle", "invite_delivery")

    def __init__(self):
        self.current = {tag: _histogram() for tag in self.TAGS}
        self.started = time.time()

    def record(self, tag, micros):
        self.current[tag].record_value(max(1, min(int(micros), 3_600_000_000)))

    def lines(self, base, now):
        """The log lines of the interval ending `now`, histograms reset."""
        out = []
        for tag in self.TAGS:
            h = self.current[tag]
            payload = h.encode().decode("ascii")
            out.append(
                f"Tag={tag},{self.started - base:.3f},{now - self.started:.3f},"
                f"{h.get_max_value() / 1e6:.6f},{payload}\n"
            )
            h.reset()
        self.started = now
        return out


RECORDER = Recorder()


def interval_log():
    """Appends one interval of histograms to BENCH_HLOG every BENCH_INTERVAL_S."""
    base = RECORDER.started
    with open(HLOG, "w", encoding="ascii") as log:
        log.write(f"#[StartTime: {base:.3f} (seconds since epoch)]\n")
        log.write(f"#[BaseTime: {base:.3f} (seconds since epoch)]\n")
        log.write('"StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram"\n')
        try:
            while True:
                gevent.sleep(max(0.0, RECORDER.started + INTERVAL_S - time.time()))
                log.writelines(RECORDER.lines(base, time.time()))
                log.flush()
        except gevent.GreenletExit:
            log.writelines(RECORDER.lines(base, time.time()))


def delivery_us(user_data, now_us):
    """invite_delivery of an invite's userData, or None when it is not this
    run's or its interaction was offered before."""
    if not isinstance(user_data, dict) or user_data.get(MARK_RUN) != RUN_ID:
        return None
    try:
        seq = int(user_data[MARK_SEQ])
        created_us = int(user_data[MARK_CREATED_US])
    except (KeyError, TypeError, ValueError):
        return None
    if seq in _offered:
        return None
    _offered.add(seq)
    return now_us - created_us


class Agent(FastHttpUser):
    """One contact-center agent."""

    # Above the longest hold measured (30 s) plus an allowance.
    network_timeout = 90.0
    connection_timeout = 10.0
    # The held connect plus REST actions (Ready per channel, Accept, Complete) at once.
    concurrency = 4

    def on_start(self):
        self.number = next(_numbers)
        token = base64.b64encode(f"agent{self.number}:{PASSWORD}".encode()).decode()
        self.headers = {"Authorization": f"Basic {token}"}
        self.ids = itertools.count(1)
        self.client_id = None
        self.confirmations = {}

    def on_stop(self):
        if self.client_id:
            msg = {"channel": "/meta/disconnect", "clientId": self.client_id, "id": self.next_id()}
            self.client_id = None
            self.bayeux([msg], "/meta/disconnect")
        self.operation("/api/v2/me", {"operationName": "EndContactCenterSession"}, "EndContactCenterSession")

    @task
    def agent(self):
        self.log_in()
        self.connect_loop()

    def next_id(self):
        return str(next(self.ids))

    def rest_headers(self):
        return {**self.headers, "Content-Type": "application/json"}

    def operation(self, path, body, name):
        """POSTs a GWS operation; True when its statusCode says it was done."""
        resp = self.client.post(path, data=json.dumps(body), headers=self.rest_headers(), name=name)
        if resp.status_code != 200:
            return False
        try:
            return json.loads(resp.content).get("statusCode") in (0, 7)
        except (ValueError, AttributeError):
            return False

    def bayeux(self, messages, name):
        """POSTs Bayeux messages; the decoded reply list (empty on failure)."""
        resp = self.client.post(
            NOTIFICATIONS,
            data=json.dumps(messages),
            headers={**self.headers, "Content-Type": JSON_TYPE},
            name=name,
        )
        if resp.status_code != 200 or not resp.content:
            return []
        try:
            replies = json.loads(resp.content)
        except ValueError:
            return []
        return replies if isinstance(replies, list) else [replies]

    def log_in(self):
        backoff = 0.5
        while not self.try_log_in():
            gevent.sleep(backoff)
            backoff = min(backoff * 2, 10.0)
        for channel in CHANNELS:
            gevent.spawn(self.operation, f"/api/v2/me/channels/{channel}", {"operationName": "Ready"}, "Ready")

    def try_log_in(self):
        resp = self.client.get("/api/v2/me?subresources=*", headers=self.headers, name="/api/v2/me")
        if resp.status_code != 200:
            return False
        name = resp.headers.get("x-csrf-header")
        if name and resp.headers.get("x-csrf-token"):
            self.headers[name] = resp.headers["x-csrf-token"]
        if not self.handshake():
            return False
        body = {"operationName": "StartContactCenterSession", "channels": CHANNELS}
        if PLACE:
            body["place"] = PLACE.format(n=self.number)
        return self.operation("/api/v2/me", body, "StartContactCenterSession")

    def handshake(self):
        hello = {
            "channel": "/meta/handshake",
            "id": self.next_id(),
            "version": "1.0",
            "minimumVersion": "1.0",
            "supportedConnectionTypes": ["long-polling"],
        }
        reply = next((r for r in self.bayeux([hello], "/meta/handshake") if r.get("channel") == "/meta/handshake"), {})
        if not reply.get("successful") or not reply.get("clientId"):
            return False
        self.client_id = reply["clientId"]
        for topic in ("/v2/me/interactions", "/v2/me/channels"):
            msg = {"channel": "/meta/subscribe", "clientId": self.client_id, "id": self.next_id(), "subscription": topic}
            if not any(r.get("successful") for r in self.bayeux([msg], "/meta/subscribe")):
                return False
        return True

    def connect_loop(self):
        first, interval_ms, failures = True, 0, 0
        while True:
            if not first and interval_ms > 0:
                gevent.sleep(interval_ms / 1000)
            msg = {"channel": "/meta/connect", "clientId": self.client_id, "id": self.next_id(),
                   "connectionType": "long-polling"}
            if first:
                msg["advice"] = {"timeout": 0}
            sent = time.perf_counter()
            replies = self.bayeux([msg], "/meta/connect")
            received_us = time.time() * 1e6
            RECORDER.record("connect_cycle", (time.perf_counter() - sent) * 1e6)
            reply = {}
            for m in replies:
                if m.get("channel") == "/meta/connect" and "successful" in m:
                    reply = m
                elif "data" in m:
                    self.on_event(m["channel"], m["data"], received_us)
            advice = reply.get("advice") or {}
            interval_ms = advice.get("interval", interval_ms) or 0
            if reply.get("successful"):
                first, failures = False, 0
            elif advice.get("reconnect") == "handshake" or str(reply.get("error", "")).startswith("402"):
                # The session was forgotten: join again, as agentload's client does.
                while not self.handshake():
                    gevent.sleep(1.0)
                self.log_in_again()
                first = True
            else:
                failures += 1
                gevent.sleep(min(failures * 1.0, 10.0))

    def log_in_again(self):
        body = {"operationName": "StartContactCenterSession", "channels": CHANNELS}
        if PLACE:
            body["place"] = PLACE.format(n=self.number)
        self.operation("/api/v2/me", body, "StartContactCenterSession")
        for channel in CHANNELS:
            gevent.spawn(self.operation, f"/api/v2/me/channels/{channel}", {"operationName": "Ready"}, "Ready")

    def on_event(self, channel, data, received_us):
        if channel != "/v2/me/interactions" or not isinstance(data, dict):
            return
        if data.get("messageType") != "InteractionStateMessage":
            return
        state, ident = data.get("state"), data.get("id")
        if state == "Invited" and ident not in self.confirmations:
            delay = delivery_us(data.get("userData"), received_us)
            if delay is not None:
                RECORDER.record("invite_delivery", delay)
            self.confirmations[ident] = Event()
            gevent.spawn(self.work_on, ident)
        elif state == "Accepted" and ident in self.confirmations:
            self.confirmations[ident].set()
        elif state == "Revoked":
            self.confirmations.pop(ident, None)

    def work_on(self, ident):
        """Accept, wait for the Accepted notification, handle, Complete."""
        path = f"/api/v2/me/interactions/{ident}"
        gevent.sleep(ANSWER_DELAY_S)
        if self.operation(path, {"operationName": "Accept"}, "Accept"):
            confirmed = self.confirmations.get(ident)
            if confirmed is not None:
                confirmed.wait(ACCEPT_CONFIRM_WAIT_S)
            gevent.sleep(HANDLE_S)
            self.operation(path, {"operationName": "Complete"}, "Complete")
        self.confirmations.pop(ident, None)


def email_form(seq, intended_us):
    """The injector's form, field for field as src/engine/injector.rs writes it."""
    return urllib.parse.urlencode([
        ("subject", f"agentload email {seq}"),
        ("firstName", "Load"),
        ("lastName", "Customer"),
        ("fromAddress", "customer@agentload.invalid"),
        ("text", "Simulated customer email created by agentload."),
        (f"userData[{MARK_RUN}]", RUN_ID),
        (f"userData[{MARK_SEQ}]", str(seq)),
        (f"userData[{MARK_CREATED_US}]", str(intended_us)),
    ])


def inject(environment):
    """Creates emails at EMAIL_RATE per second on a schedule fixed at its start."""
    session = FastHttpSession(environment.host, request_event=environment.events.request, user=None,
                              concurrency=64, network_timeout=30.0, connection_timeout=10.0)
    in_flight = gevent.pool.Pool(512)
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    path = f"/genesys/2/email/{SERVICE}"
    start = time.time()
    for seq in itertools.count():
        due = start + seq / EMAIL_RATE
        gevent.sleep(max(0.0, due - time.time()))
        in_flight.wait_available()
        in_flight.spawn(session.post, path, data=email_form(seq, int(due * 1e6)), headers=headers,
                        name="/genesys/2/email")


_background = []
_environment = []


@events.init.add_listener
def _keep_environment(environment, **_kwargs):
    _environment.append(environment)


@events.test_start.add_listener
def _start_log(**_kwargs):
    _background.append(gevent.spawn(interval_log))


@events.spawning_complete.add_listener
def _start_injector(**_kwargs):
    # Once, when every agent is spawned: agentload's profile injects from its hold stage on.
    if EMAIL_RATE > 0 and len(_background) == 1:
        _background.append(gevent.spawn(inject, _environment[0]))


@events.test_stop.add_listener
def _stop_background(**_kwargs):
    # The injector first, the log last, so its final interval is written.
    for greenlet in reversed(_background):
        greenlet.kill()
