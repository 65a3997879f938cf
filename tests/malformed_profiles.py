#!/usr/bin/env python3
"""Writes malformed load profiles for tests/profile_malformed.rs.

    python3 tests/malformed_profiles.py OUT_DIR

Each profile is the valid BASE below with one defect of a real class (syntax,
encoding, types, unknown and missing fields, enums, out-of-range numbers,
huge and overflowing durations, rates, simulator settings, URLs, gates,
secrets, size). OUT_DIR/manifest.json lists them: the file, the field the
error must name (null when there is none to name, e.g. a missing top-level
table) and the 1-based line it must point at (null when it has none), and a
secret that must not appear in the output.
"""

import json
import os
import sys

BASE = """name = "bad"
description = "a malformed profile"

[agents]
count = 5
channels = ["email"]

[[stages]]
duration = "2s"
agents = 5
"""

CANARY = "Canary-pw-7Q2x"
cases = []


def case(name, text, field, needle, secret=None):
    """A profile `text`; the error names `field` at the line of `needle`."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    line = None
    if needle is not None:
        raw = needle.encode("utf-8") if isinstance(needle, str) else needle
        at = data.find(raw)
        assert at >= 0, f"{name}: {needle!r} not in the profile"
        line = data[:at].count(b"\n") + 1
    cases.append({"name": name, "data": data, "field": field, "line": line, "secret": secret})


def replace(old, new):
    assert old in BASE, old
    return BASE.replace(old, new, 1)


def agents(extra):
    """BASE with lines added to [agents]."""
    return replace("count = 5\n", "count = 5\n" + extra + "\n")


def stage(extra):
    """BASE with lines added to its stage."""
    return replace('agents = 5\n', 'agents = 5\n' + extra + "\n")


def table(text):
    """BASE with a table appended."""
    return BASE + "\n" + text + "\n"


def syntax():
    case("unclosed-string", replace('name = "bad"', 'name = "bad'), "name", 'name = "bad')
    case("unclosed-header", replace("[agents]", "[agents"), "agents", "[agents")
    case("duplicate-key", agents("count = 6"), "agents.count", "count = 6")
    case("duplicate-top-key", replace('name = "bad"', 'name = "bad"\nname = "worse"'), "name", 'name = "worse"')
    case("duplicate-table", table("[agents]\nfirst = 2"), "agents", "[agents]\nfirst")
    case("duplicate-stage-key", stage("agents = 6"), "stages[0].agents", "agents = 6")
    case("missing-equals", agents("first 5"), "agents", "first 5")
    case("bad-escape", replace('"a malformed profile"', '"a \\q profile"'), "description", "\\q")
    case("control-char", replace('"a malformed profile"', '"a \x01 profile"'), "description", "\x01")
    case("nul-byte", replace('name = "bad"', 'name = "bad"\x00'), "name", "\x00")
    case("unclosed-array", replace('channels = ["email"]', 'channels = ["email"'), "agents.channels", "channels")
    case("unclosed-inline-table", agents("capacity = { email = 1"), "agents.capacity", "capacity")
    case("unclosed-multiline-string", table('[behaviour]\nanswer_delay = """1s'), "behaviour.answer_delay", '"""1s')
    case("bad-number", replace("count = 5", "count = 0x"), "agents.count", "count = 0x")
    case("leading-zero", replace("count = 5", "count = 05"), "agents.count", "count = 05")
    case("nested-arrays", replace('"a malformed profile"', "[" * 100_000 + "]" * 100_000), "description", "[[[")
    case("nested-tables", replace('"a malformed profile"', "{a=" * 50_000 + "1" + "}" * 50_000), "description", "{a=")
    case("space-in-key", agents("the first = 2"), "agents", "the first")
    case("stray-text", BASE + "\nthis is not toml\n", "stages[0]", "this is not toml")


def encoding():
    text = BASE.encode()
    case("not-utf8-string", text.replace(b'"bad"', b'"b\xffd"'), "name", b"\xff")
    case("not-utf8-comment", text.replace(b"count = 5", b"count = 5 # caf\xe9"), "agents.count", b"\xe9")
    case("latin1", text.replace(b'"a malformed profile"', b'"profil \xe9crit en latin-1"'), "description", b"\xe9")
    case("utf16", b"\xff\xfe" + BASE.encode("utf-16-le"), None, b"\xff\xfe")
    case("truncated-utf8", text + b'\n[traffic]\narrival = "\xe2\x82"\n', "traffic.arrival", b"\xe2\x82")


def size():
    padding = "# padding of a 10 MB profile\n" * (10_000_000 // 29)
    big = replace('description = "a malformed profile"\n', padding).replace("count = 5", 'count = "many"')
    case("10mb-of-comments", big, "agents.count", 'count = "many"')
    huge = replace('"a malformed profile"', '"' + "x" * 10_000_000 + '"')
    case("10mb-description", huge, "description", "description")
    case("long-description", replace('"a malformed profile"', '"' + "y" * 20_000 + '"'), "description", "description")
    case("long-name", replace('name = "bad"', 'name = "' + "n" * 300 + '"'), "name", "name")
    case("long-username", agents('username = "agent{n}' + "u" * 300 + '"'), "agents.username", "username")


def types():
    case("name-int", replace('name = "bad"', "name = 1"), "name", "name = 1")
    case("name-datetime", replace('name = "bad"', "name = 1979-05-27"), "name", "name =")
    case("count-string", replace("count = 5", 'count = "five"'), "agents.count", "count =")
    case("count-negative", replace("count = 5", "count = -1"), "agents.count", "count =")
    case("count-float", replace("count = 5", "count = 1.5"), "agents.count", "count =")
    case("count-huge", replace("count = 5", "count = 99999999999"), "agents.count", "count =")
    case("first-negative", agents("first = -1"), "agents.first", "first")
    case("stages-not-array", replace('[[stages]]\nduration = "2s"\nagents = 5\n', "").replace("[agents]", "stages = 5\n\n[agents]"), "stages", "stages = 5")
    case("duration-bare-number", replace('duration = "2s"', "duration = 30"), "stages[0].duration", "duration =")
    case("duration-no-unit", replace('duration = "2s"', 'duration = "30"'), "stages[0].duration", "duration =")
    case("duration-garbage", replace('duration = "2s"', 'duration = "soon"'), "stages[0].duration", "duration =")
    case("duration-empty", replace('duration = "2s"', 'duration = ""'), "stages[0].duration", "duration =")
    case("stage-agents-string", BASE.replace("\nagents = 5\n", '\nagents = "5"\n'), "stages[0].agents", 'agents = "5"')
    case("stampede-string", stage('stampede = "yes"'), "stages[0].stampede", "stampede")
    case("channels-string", replace('channels = ["email"]', 'channels = "email"'), "agents.channels", "channels")
    case("capacity-int", agents("capacity = 3"), "agents.capacity", "capacity")
    case("traffic-int", replace('description = "a malformed profile"', 'description = "x"\ntraffic = 1'), "traffic", "traffic")
    case("delay-int", table("[behaviour]\nanswer_delay = 5"), "behaviour.answer_delay", "answer_delay")
    case("gates-string", replace('description = "a malformed profile"', 'description = "x"\ngates = "p99 < 1s"'), "gates", "gates")
    case("percentiles-string", table('[report]\npercentiles = "p99"'), "report.percentiles", "percentiles")
    case("seed-negative", replace('name = "bad"', 'name = "bad"\nseed = -1'), "seed", "seed")
    case("seed-string", replace('name = "bad"', 'name = "bad"\nseed = "lucky"'), "seed", "seed")
    case("insecure-string", table('[target.tls]\ninsecure = "yes"'), "target.tls.insecure", "insecure")
    case("csrf-int", table("[simulator]\ncsrf = 1"), "simulator.csrf", "csrf")
    case("password-int", agents("password = 7734921"), "agents.password", "password", secret="7734921")
    case("chat-messages-float", table("[behaviour]\nchat_messages = 2.5"), "behaviour.chat_messages", "chat_messages")


def fields():
    case("unknown-top", replace('name = "bad"', 'name = "bad"\nfoo = 1'), "foo", "foo")
    case("unknown-agents", agents('colour = "blue"'), "agents.colour", "colour")
    case("unknown-stage", stage("agent = 10"), "stages[0].agent", "agent = 10")
    case("unknown-simulator", table("[simulator]\nuser = 5"), "simulator.user", "user = 5")
    case("unknown-fault", table("[simulator.faults]\nrest_500 = 0.1"), "simulator.faults.rest_500", "rest_500")
    case("unknown-gate-key", table('[[gates]]\nrule = "errors == 0"\nwhen = "always"'), "gates[0].when", "when")
    case("missing-name", replace('name = "bad"\n', ""), "name", None)
    case("missing-agents", replace('[agents]\ncount = 5\nchannels = ["email"]\n', ""), "agents", None)
    case("missing-count", replace("count = 5\n", ""), "agents.count", "[agents]")
    case("missing-stage-agents", BASE.replace("\nagents = 5\n", "\n"), "stages[0].agents", "[[stages]]")
    case("no-stages", replace('[[stages]]\nduration = "2s"\nagents = 5\n', ""), "stages", None)
    case("not-ready-missing-duration", table('[behaviour.not_ready]\nevery = "10s"'), "behaviour.not_ready.duration", "[behaviour.not_ready]")


def enums():
    case("csrf-maybe", table('[target]\ncsrf = "maybe"'), "target.csrf", "csrf")
    case("model-unknown", table('[target]\nmessage_model = "9.0"'), "target.message_model", "message_model")
    case("arrival-burst", table('[traffic]\narrival = "burst"'), "traffic.arrival", "arrival")
    case("on-stop-run", table('[behaviour]\non_stop = "run"'), "behaviour.on_stop", "on_stop")
    case("channel-voice", replace('channels = ["email"]', 'channels = ["voice"]'), "agents.channels[0]", "channels")
    case("channels-empty", replace('channels = ["email"]', "channels = []"), "agents.channels", "channels")
    case("channels-twice", replace('channels = ["email"]', 'channels = ["email", "email"]'), "agents.channels[1]", "channels")


def numbers():
    case("count-zero", replace("count = 5", "count = 0"), "agents.count", "count =")
    case("count-two-million", replace("count = 5", "count = 2000000"), "agents.count", "count =")
    case("first-zero", agents("first = 0"), "agents.first", "first")
    case("first-hundred-million", agents("first = 100000000"), "agents.first", "first")
    case("first-near-u32-max", agents("first = 4294967290"), "agents.first", "first")
    case("stage-over-pool", BASE.replace("\nagents = 5\n", "\nagents = 6\n"), "stages[0].agents", "agents = 6")
    case("duration-zero", replace('duration = "2s"', 'duration = "0s"'), "stages[0].duration", "duration =")
    case("duration-huge", replace('duration = "2s"', 'duration = "300000000000y"'), "stages[0].duration", "duration =")
    two = table('[[stages]]\nduration = "300000000000y"\nagents = 5\n\n[[stages]]\nduration = "300000000000y"\nagents = 5')
    long = two.replace('"300000000000y"', '"200days"', 1).replace('"300000000000y"', '"201days"')
    case("durations-over-a-year", long, "stages[2].duration", "201days")
    case("durations-huge-two", two, "stages[1].duration", '"300000000000y"')
    case("drain-huge", table('[traffic]\ndrain = "300000000000y"'), "traffic.drain", "drain")
    case("too-many-stages", BASE + "\n".join('\n[[stages]]\nduration = "1s"\nagents = 5' for _ in range(1001)), "stages", "[[stages]]")
    ups = "".join(f'\n[[stages]]\nduration = "1s"\nagents = {n}\n' for n in [1000000, 0, 999999, 1, 999998])
    case("too-many-logins", replace("count = 5", "count = 1000000") + ups, "stages[5].agents", "agents = 999998")
    case("rate-scale-negative", stage("rate_scale = -1.0"), "stages[0].rate_scale", "rate_scale")
    case("rate-scale-nan", stage("rate_scale = nan"), "stages[0].rate_scale", "rate_scale")
    case("rate-scale-inf", stage("rate_scale = inf"), "stages[0].rate_scale", "rate_scale")
    case("rate-scale-huge", stage("rate_scale = 1e6"), "stages[0].rate_scale", "rate_scale")
    case("stage-rate-1e9", stage("email_rate = 1e9"), "stages[0].email_rate", "email_rate")
    case("stage-rate-negative", stage("email_rate = -3.0"), "stages[0].email_rate", "email_rate")
    case("email-rate-1e9", table("[traffic]\nemail_rate = 1e9"), "traffic.email_rate", "email_rate")
    case("email-rate-nan", table("[traffic]\nemail_rate = nan"), "traffic.email_rate", "email_rate")
    case("email-rate-inf", table("[traffic]\nemail_rate = inf"), "traffic.email_rate", "email_rate")
    case("chat-rate-negative", table("[traffic]\nchat_rate = -0.5"), "traffic.chat_rate", "chat_rate")
    case("chat-without-channel", table("[traffic]\nchat_rate = 5.0"), "traffic.chat_rate", "chat_rate")
    case("too-many-interactions", replace('duration = "2s"', 'duration = "6h"') + "\n[traffic]\nemail_rate = 10000.0\n", "stages[0].duration", "duration =")
    case("scaled-rate-too-high", stage("rate_scale = 500.0") + "\n[traffic]\nemail_rate = 100.0\n", "stages[0].rate_scale", "rate_scale")
    for label, value in [("zero", "0"), ("tiny", "1e-300"), ("negative", "-5"), ("nan", "nan"), ("huge", "1e300")]:
        case(f"handshake-rate-{label}", table(f"[ramp]\nmax_handshakes_per_second = {value}"), "ramp.max_handshakes_per_second", "max_handshakes_per_second")
    case("accept-above-one", table("[behaviour]\naccept_probability = 1.5"), "behaviour.accept_probability", "accept_probability")
    case("accept-negative", table("[behaviour]\naccept_probability = -0.1"), "behaviour.accept_probability", "accept_probability")
    case("accept-nan", table("[behaviour]\naccept_probability = nan"), "behaviour.accept_probability", "accept_probability")
    case("shares-above-one", table("[behaviour]\naccept_probability = 0.8\nno_answer_probability = 0.3"), "behaviour.no_answer_probability", "no_answer_probability")
    case("delay-reversed", table('[behaviour]\nanswer_delay = "2s..1s"'), "behaviour.answer_delay", "answer_delay")
    case("delay-huge", table('[behaviour]\nanswer_delay = "300000000000y"'), "behaviour.answer_delay", "answer_delay")
    case("handle-time-huge", table('[behaviour]\nhandle_time = "1s..300000000000y"'), "behaviour.handle_time", "handle_time")
    case("chat-messages-reversed", table('[behaviour]\nchat_messages = "5..1"'), "behaviour.chat_messages", "chat_messages")
    case("chat-messages-negative", table("[behaviour]\nchat_messages = -1"), "behaviour.chat_messages", "chat_messages")
    case("chat-messages-million", table("[behaviour]\nchat_messages = 1000000"), "behaviour.chat_messages", "chat_messages")
    case("not-ready-zero", table('[behaviour.not_ready]\nevery = "0s"\nduration = "1s"'), "behaviour.not_ready.every", "every")
    case("capacity-zero", table("[agents.capacity]\nemail = 0"), "agents.capacity.email", "email = 0")
    case("capacity-huge", agents("capacity = { email = 100000 }"), "agents.capacity.email", "capacity")


def simulator():
    sim = lambda text: table("[simulator]\n" + text)
    case("connect-timeout-zero", sim('connect_timeout = "0s"'), "simulator.connect_timeout", "connect_timeout")
    case("connect-timeout-huge", sim('connect_timeout = "500000000000y"'), "simulator.connect_timeout", "connect_timeout")
    case("max-interval-zero", sim('max_interval = "0s"'), "simulator.max_interval", "max_interval")
    case("invite-timeout-zero", sim('invite_timeout = "0s"'), "simulator.invite_timeout", "invite_timeout")
    case("invite-timeout-huge", sim('invite_timeout = "300000000000y"'), "simulator.invite_timeout", "invite_timeout")
    case("users-u32-max", sim("users = 4294967295"), "simulator.users", "users")
    case("users-below-pool", sim("users = 3"), "agents.count", "count = 5")
    case("users-zero", sim("users = 0"), "simulator.users", "users")
    case("password-mismatch", agents(f'password = "{CANARY}"') + "\n[simulator]\npassword = \"other\"\n", "agents.password", "password", secret=CANARY)
    case("rest-503-above-one", table("[simulator.faults]\nrest_503 = 2.0"), "simulator.faults.rest_503", "rest_503")
    case("pause-every-zero", table('[simulator.faults]\npause_every = "0s"'), "simulator.faults.pause_every", "pause_every")
    case("pause-duration-huge", table('[simulator.faults]\npause_duration = "300000000000y"'), "simulator.faults.pause_duration", "pause_duration")
    case("rest-latency-huge", table('[simulator.faults]\nrest_latency = "1s..300000000000y"'), "simulator.faults.rest_latency", "rest_latency")
    case("routing-delay-huge", sim('routing_delay = "300000000000y"'), "simulator.routing_delay", "routing_delay")
    case("sim-capacity-huge", table("[simulator.capacity]\nchat = 100000"), "simulator.capacity.chat", "chat = 100000")
    case("csrf-on-without-sim", table('[target]\ncsrf = "on"\n\n[simulator]\ncsrf = false'), "target.csrf", 'csrf = "on"')
    case("username-not-agent", agents('username = "user{n}"'), "agents.username", "username")


def report():
    case("interval-huge", table('[report]\ninterval = "500000000000y"'), "report.interval", "interval")
    case("interval-tiny", table('[report]\ninterval = "10ms"'), "report.interval", "interval")
    case("percentiles-empty", table("[report]\npercentiles = []"), "report.percentiles", "percentiles")
    case("percentile-zero", table("[report]\npercentiles = [0]"), "report.percentiles[0]", "percentiles")
    case("percentile-above-100", table("[report]\npercentiles = [50, 101]"), "report.percentiles[1]", "percentiles")
    case("percentile-nan", table("[report]\npercentiles = [nan]"), "report.percentiles[0]", "percentiles")
    case("gate-bad-unit", table('[[gates]]\nrule = "invite_delivery.p99 < 2 parsecs"'), "gates[0].rule", "rule")
    case("gate-empty", table('[[gates]]\nrule = ""'), "gates[0].rule", "rule")
    case("gate-unknown-metric", table('[[gates]]\nrule = "invite_dleivery.p99 < 2s"'), "gates[0].rule", "rule")
    case("gate-no-rule", table("[[gates]]"), "gates[0].rule", "[[gates]]")
    case("gate-abort-after-alone", table('[[gates]]\nrule = "errors == 0"\nabort_after = "30s"'), "gates[0].abort_after", "abort_after")
    case("gate-abort-after-huge", table('[[gates]]\nrule = "errors == 0"\nabort_on_fail = true\nabort_after = "900h"'), "gates[0].abort_after", "abort_after")
    case("gate-abort-on-fail-string", table('[[gates]]\nrule = "errors == 0"\nabort_on_fail = "yes"'), "gates[0].abort_on_fail", "abort_on_fail")
    case("login-deadline-zero", table('[ramp]\nlogin_deadline = "0s"'), "ramp.login_deadline", "login_deadline")
    case("failed-logins-huge", table('[ramp]\nfailed_logins_to_stop = 99999999'), "ramp.failed_logins_to_stop", "failed_logins_to_stop")


def target():
    tgt = lambda text: table("[target]\n" + text)
    case("url-ftp", tgt('url = "ftp://127.0.0.1"'), "target.url", "url")
    case("url-userinfo", tgt(f'url = "http://agent1:{CANARY}@127.0.0.1:1"'), "target.url", "url", secret=CANARY)
    case("url-userinfo-no-scheme", tgt(f'url = "agent1:{CANARY}@127.0.0.1:1"'), "target.url", "url", secret=CANARY)
    case("injector-userinfo", tgt(f'injector_url = "http://gms:{CANARY}@127.0.0.1:1"'), "target.injector_url", "injector_url", secret=CANARY)
    case("url-space", tgt('url = "http://bad host"'), "target.url", "url")
    case("url-empty", tgt('url = ""'), "target.url", "url")
    case("base-path-relative", tgt('base_path = "gws"'), "target.base_path", "base_path")
    case("notifications-relative", tgt('notifications_path = "notif"'), "target.notifications_path", "notifications_path")
    case("injector-service-space", tgt('injector_service = "a b"'), "target.injector_service", "injector_service")
    case("ca-file-missing", table('[target.tls]\nca_file = "no-such-ca.pem"'), "target.tls.ca_file", "ca_file")
    case("ca-file-not-pem", table('[target.tls]\nca_file = "not-a-certificate.txt"'), "target.tls.ca_file", "ca_file")
    case("max-body-zero", tgt("max_body_mib = 0"), "target.max_body_mib", "max_body_mib")
    case("max-body-huge", tgt("max_body_mib = 100000"), "target.max_body_mib", "max_body_mib")
    case("max-body-negative", tgt("max_body_mib = -1"), "target.max_body_mib", "max_body_mib")


def agents_text():
    case("username-no-placeholder", agents('username = "agent"'), "agents.username", "username")
    case("place-bad-placeholder", agents('place = "Place_{x}"'), "agents.place", "place")
    case("password-env-unset", agents('password_env = "AGENTLOAD_SURELY_UNSET_VARIABLE"'), "agents.password_env", "password_env")
    case("password-env-empty-name", agents('password_env = ""'), "agents.password_env", "password_env")
    case("password-file-missing", agents('password_file = "no-such-password.txt"'), "agents.password_file", "password_file")
    case("password-file-empty", agents('password_file = "empty-password.txt"'), "agents.password_file", "password_file")
    case("password-file-lines", agents('password_file = "two-line-password.txt"'), "agents.password_file", "password_file")
    case("unclosed-password", agents(f'password = "{CANARY}'), "agents.password", "password", secret=CANARY)
    case("duplicate-password", agents(f'password = "first"\npassword = "{CANARY}"'), "agents.password", f'password = "{CANARY}"', secret=CANARY)
    case("name-space", replace('name = "bad"', 'name = "has space"'), "name", "name")
    case("name-empty", replace('name = "bad"', 'name = ""'), "name", "name")
    case("name-slash", replace('name = "bad"', 'name = "../escape"'), "name", "name")


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for group in [syntax, encoding, size, types, fields, enums, numbers, simulator, report, target, agents_text]:
        group()
    # Files some profiles name beside themselves.
    with open(os.path.join(out, "not-a-certificate.txt"), "w") as f:
        f.write("this is not a PEM file\n")
    with open(os.path.join(out, "empty-password.txt"), "w"):
        pass
    with open(os.path.join(out, "two-line-password.txt"), "w") as f:
        f.write("first\nsecond\n")
    manifest = []
    names = set()
    for i, c in enumerate(cases):
        assert c["name"] not in names, c["name"]
        names.add(c["name"])
        file = f"{i:03}-{c['name']}.toml"
        with open(os.path.join(out, file), "wb") as f:
            f.write(c["data"])
        manifest.append({"file": file, "field": c["field"], "line": c["line"], "secret": c["secret"]})
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    print(f"{len(manifest)} malformed profiles in {out}")


if __name__ == "__main__":
    main()
