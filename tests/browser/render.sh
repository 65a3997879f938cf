#!/usr/bin/env bash
# Renders report.html in headless Chromium and checks it the way a reader
# would see it: offline, with no console message, with every chart drawn.
#
#   tests/browser/render.sh [REPORT_HTML [OUT_PNG]]
#
# Without arguments it writes the example run's report with
# `cargo run --example sample_report` into target/browser/ first.
# It prints the PNG's path; look at it after changing the report's layout.
#
# Chromium: Debian's `chromium` package. When /usr/bin/chromium is missing
# the script installs it (`apt-get update && apt-get install -y chromium`,
# which needs root, as on the project's dev and CI machines); elsewhere
# install it by hand first. Set CHROMIUM=/path/to/binary to use another.
#
# Checks, each failing the script with a message:
#   1. the HTML names no network resource (no http:// or https://, no src=,
#      no CSS url(), no link other than in-page #anchors);
#   2. Chromium logs no console message while loading it (the page has no
#      script, so any message is the browser complaining about the page,
#      e.g. an SVG attribute it cannot parse: "attribute d: Expected number");
#   3. the rendered DOM holds as many <svg> charts as the file, at least
#      MIN_CHARTS (default 12), and the verdict;
#   4. the screenshot exists and is a non-trivial PNG.
#
# `render.sh --self-test` checks that check 2 and 1 do catch a broken page.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
min_charts=${MIN_CHARTS:-12}

fail() { echo "render.sh: FAIL: $*" >&2; exit 1; }

chromium_bin() {
    local bin=${CHROMIUM:-/usr/bin/chromium}
    if [ ! -x "$bin" ]; then
        echo "render.sh: $bin missing; installing Debian's chromium package" >&2
        apt-get update -q >&2 && apt-get install -y -q chromium >&2 \
            || fail "could not install chromium; run 'apt-get install -y chromium' as root"
    fi
    [ -x "$bin" ] || fail "no Chromium at $bin"
    echo "$bin"
}

# Runs Chromium headless and isolated (fresh profile, no network services of
# its own), with the extra arguments given.
chromium_run() {
    local profile
    profile=$(mktemp -d)
    local rc=0
    timeout 120 "$CHROMIUM_BIN" --headless --no-sandbox --disable-gpu --disable-quic \
        --no-first-run --disable-background-networking --disable-component-update \
        --disable-sync --disable-default-apps --hide-scrollbars --user-data-dir="$profile" \
        "$@" || rc=$?
    rm -rf "$profile"
    return $rc
}

# Check 1: nothing in the file may reach out of it.
check_offline() {
    local html=$1
    if grep -Eqi 'https?://' "$html"; then
        grep -Eoi '.{0,40}https?://.{0,40}' "$html" | head -3 >&2
        fail "$html references the network (http:// or https://)"
    fi
    if grep -Eqi '<(script|link|img|iframe|object|embed)[ >]|[ "]src=|url\(' "$html"; then
        fail "$html loads an external resource (script, link, img, src= or url())"
    fi
    if grep -Eoi 'href="[^"]*"' "$html" | grep -qv 'href="#'; then
        fail "$html links outside itself: $(grep -Eoi 'href="[^"]*"' "$html" | grep -v 'href="#' | head -1)"
    fi
}

# Check 2 and the screenshot: prints console lines to stdout.
screenshot() {
    local html=$1 png=$2 log
    log=$(mktemp)
    chromium_run --enable-logging=stderr --v=0 --window-size=1280,4000 \
        --screenshot="$png" "file://$html" >/dev/null 2>"$log" \
        || { cat "$log" >&2; rm -f "$log"; fail "chromium could not render $html"; }
    grep -E ':CONSOLE[:(]' "$log" || true
    rm -f "$log"
}

self_test() {
    local dir
    dir=$(mktemp -d)
    printf '%s' '<!DOCTYPE html><html><body><svg viewBox="0 0 10 10"><path d="MNaN 1 L2 2"/></svg></body></html>' >"$dir/bad.html"
    [ -n "$(screenshot "$dir/bad.html" "$dir/bad.png")" ] \
        || fail "self-test: a NaN path produced no console message; the console check is blind"
    printf '%s' '<!DOCTYPE html><html><body><p>see https://example.org</p></body></html>' >"$dir/net.html"
    if (check_offline "$dir/net.html") 2>/dev/null; then
        fail "self-test: a network reference was not caught"
    fi
    rm -rf "$dir"
    echo "render.sh: self-test passed"
}

CHROMIUM_BIN=$(chromium_bin)

if [ "${1:-}" = "--self-test" ]; then
    self_test
    exit 0
fi

if [ $# -ge 1 ]; then
    html=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
    png=${2:-${html%.html}.png}
else
    out="$root/target/browser"
    (cd "$root" && cargo run -q --example sample_report -- "$out" >/dev/null)
    html="$out/report.html"
    png="$out/report.png"
fi
[ -f "$html" ] || fail "no such file: $html"
rm -f "$png"

check_offline "$html"

console=$(screenshot "$html" "$png")
[ -z "$console" ] || { echo "$console" >&2; fail "console messages while loading $html"; }

dom=$(chromium_run --dump-dom "file://$html" 2>/dev/null) || fail "chromium --dump-dom failed on $html"
# grep exits 1 when it counts nothing; that is a count of 0, not an error.
count() { grep -o "$1" || true; }
in_file=$(count '<svg ' <"$html" | wc -l)
in_dom=$(count '<svg ' <<<"$dom" | wc -l)
[ "$in_dom" -eq "$in_file" ] || fail "$in_file <svg> in the file but $in_dom in the rendered DOM"
[ "$in_dom" -ge "$min_charts" ] || fail "only $in_dom charts rendered, expected at least $min_charts"
grep -q 'class="verdict' <<<"$dom" || fail "no verdict in the rendered page"
paths=$(count '<path class="series"\|<circle class="point"' <<<"$dom" | wc -l)
no_data=$(count 'class="no-data"' <<<"$dom" | wc -l)
# Every chart draws data or says "no data"; a report of a run that measured
# something must draw lines.
[ "$paths" -gt 0 ] || [ "$no_data" -eq "$in_dom" ] \
    || fail "$((in_dom - no_data)) charts claim data but no line was drawn"

[ -s "$png" ] || fail "no screenshot written to $png"
[ "$(head -c 8 "$png" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ] || fail "$png is not a PNG"
[ "$(stat -c %s "$png")" -gt 20000 ] || fail "$png is suspiciously small (blank page?)"

echo "render.sh: ok: $in_dom charts ($no_data without data), $paths data lines, no console message, offline-clean"
echo "$png"
