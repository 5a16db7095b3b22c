#!/usr/bin/env bash
# Generates clients from openapi/openapi.json and runs them against the release build:
#
#   generate       openapi-typescript, @hey-api/openapi-ts and openapi-python-client, default
#                  settings; any warning a generator prints fails the step
#   typecheck      tsc --strict --noEmit over the generated TypeScript and the scripts
#   roundtrips     one scripted round trip through each generated client (ts/, python/)
#   browser        a page on another origin calls the API with fetch in headless Chromium
#   st-sqlite      schemathesis, every phase, against a fresh SQLite database
#   st-postgres    the same against a fresh PostgreSQL database
#
#   clients/run.sh [STEP...]      all steps when none is named (generate is implied by
#                                 typecheck and roundtrips)
#
# Every step runs even when an earlier one failed; the summary lists each with its result and
# time, and the script exits 1 when any failed. Settings (environment):
#   LABNET_BIN                    a built binary to use (default: cargo build --release)
#   LABNET_TEST_POSTGRES_URL      a PostgreSQL role that may create databases
#                                 (default postgres://postgres@127.0.0.1:5432/postgres)
#   CHROMIUM                      the browser (default /usr/bin/chromium, Debian's package)
#   LABNET_ST_MAX_EXAMPLES        schemathesis cases per operation (default: schemathesis.toml)
#   LABNET_CLIENTS_KEEP=1         keep the work directory (databases, logs, reports)
#
# Needs Node.js >= 20.19 with npm, Python >= 3.11 with venv, curl, psql and Chromium; installs
# the pinned npm packages (package-lock.json) into clients/node_modules and the pinned Python
# packages (requirements.txt, with hashes) into clients/.venv, and nothing else.
set -uo pipefail

CLIENTS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$CLIENTS/.." && pwd)"
SPEC="$ROOT/openapi/openapi.json"
GENERATED="$CLIENTS/generated"
VENV="$CLIENTS/.venv"
CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
export CHROMIUM
PG_ADMIN_URL="${LABNET_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
case "${LABNET_BIN:-}" in
    "" | /*) ;;
    *) LABNET_BIN="$PWD/$LABNET_BIN" ;;
esac
cd "$CLIENTS" || exit 1

WORK="$(mktemp -d "${TMPDIR:-/tmp}/labnet-clients.XXXXXX")"
PIDS=()
PG_DATABASE=""
RESULTS=()
FAILED=0

log() { printf '%s\n' "$*"; }
err() { printf 'error: %s\n' "$*" >&2; }

cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do
        stop_pid "$pid"
    done
    if [ -n "$PG_DATABASE" ]; then
        drop_pg_database
    fi
    if [ "${LABNET_CLIENTS_KEEP:-0}" = 1 ]; then
        log "work directory kept: $WORK"
    else
        rm -rf "$WORK"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# stop_pid PID: SIGTERM, up to 15 s for a clean stop, then SIGKILL.
stop_pid() {
    local pid=$1 i
    kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null
    for i in $(seq 1 150); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        err "process $pid did not stop within 15 s; killing it"
        kill -KILL "$pid" 2>/dev/null
    fi
    wait "$pid" 2>/dev/null
    local kept=()
    for i in "${PIDS[@]}"; do
        [ "$i" = "$pid" ] || kept+=("$i")
    done
    PIDS=("${kept[@]}")
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# wait_for URL SECONDS PID: until URL answers 2xx, the process exits, or time runs out.
wait_for() {
    local url=$1 seconds=$2 pid=$3 deadline=$((SECONDS + $2))
    while [ "$SECONDS" -lt "$deadline" ]; do
        if curl -fsS --max-time 2 -o /dev/null "$url" 2>/dev/null; then
            return 0
        fi
        if ! kill -0 "$pid" 2>/dev/null; then
            err "the process serving $url exited"
            return 1
        fi
        sleep 0.2
    done
    err "$url did not answer within $seconds s"
    return 1
}

# start_api NAME DATABASE_URL [VAR=value...]: starts the service on a free port; sets API_URL
# and API_PID, and API_KEY to an admin key made for it first with `labnet keys create`, as
# an operator makes the first key on a new server. Its log is $WORK/NAME.log.
start_api() {
    local name=$1 database=$2 port
    shift 2
    if ! API_KEY="$(env DATABASE_URL="$database" "$LABNET_BIN" keys create --role admin --name "$name" 2>"$WORK/$name-key.log")"; then
        err "$name: labnet keys create failed:"
        cat "$WORK/$name-key.log" >&2
        return 1
    fi
    export LABNET_API_KEY="$API_KEY"
    port="$(free_port)"
    # The conformance runs send thousands of requests from one address as fast as they
    # can: the rate limits (which tests/api covers) are off, so no case is refused by them.
    env DATABASE_URL="$database" LABNET_BIND="127.0.0.1:$port" LABNET_SHUTDOWN_TIMEOUT=5 \
        LABNET_RATE_LIMIT_PER_KEY=0 LABNET_RATE_LIMIT_ANONYMOUS=0 \
        RUST_LOG="${RUST_LOG:-info}" "$@" "$LABNET_BIN" serve >"$WORK/$name.log" 2>&1 &
    API_PID=$!
    PIDS+=("$API_PID")
    API_URL="http://127.0.0.1:$port"
    if ! wait_for "$API_URL/readyz" 60 "$API_PID"; then
        err "$name did not become ready; the end of its log:"
        tail -n 40 "$WORK/$name.log" >&2
        stop_pid "$API_PID"
        return 1
    fi
    log "$name: $API_URL ($database)"
}

# stop_api NAME: stops the last started service and says if it did not stop cleanly.
stop_api() {
    local name=$1
    stop_pid "$API_PID"
    if grep -q 'panicked' "$WORK/$name.log"; then
        err "$name panicked; see its log:"
        grep -n -A5 'panicked' "$WORK/$name.log" | head -n 40 >&2
        return 1
    fi
}

# step NAME FUNCTION: runs one step, timing it and recording its result.
step() {
    local name=$1 t0=$SECONDS rc
    shift
    printf '\n==> clients: %s\n' "$name"
    "$@"
    rc=$?
    if [ "$rc" -eq 0 ]; then
        RESULTS+=("ok      $name ($((SECONDS - t0)) s)")
    else
        RESULTS+=("FAILED  $name ($((SECONDS - t0)) s)")
        FAILED=1
    fi
    return 0
}

# ---------------------------------------------------------------------------------------------
# Tools
# ---------------------------------------------------------------------------------------------

sha() { sha256sum "$1" | cut -d' ' -f1; }

need() {
    command -v "$1" >/dev/null 2>&1 || { err "$1 is not installed ($2)"; return 1; }
}

install_node_packages() {
    need node "Node.js >= 20.19" && need npm "npm" || return 1
    node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)' \
        || { err "Node.js $(node --version) is too old; @hey-api/openapi-ts 0.95 needs >= 20.19"; return 1; }
    local stamp="$CLIENTS/node_modules/.package-lock.sha256"
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$(sha package-lock.json)" ]; then
        log "node packages: up to date"
        return 0
    fi
    # --ignore-scripts: no package needs its install script here (esbuild ships its binary as
    # an optional dependency), and none gets to download anything.
    timeout 600 npm ci --ignore-scripts --no-audit --no-fund --loglevel=error || { err "npm ci failed"; return 1; }
    sha package-lock.json >"$stamp"
}

install_python_packages() {
    need python3 "Python >= 3.11" || return 1
    local stamp="$VENV/.requirements.sha256"
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$(sha requirements.txt)" ]; then
        log "python packages: up to date"
        return 0
    fi
    rm -rf "$VENV"
    python3 -m venv "$VENV" || { err "python3 -m venv failed (Debian: apt-get install python3-venv)"; return 1; }
    timeout 600 "$VENV/bin/pip" install --disable-pip-version-check --no-input --quiet \
        --require-hashes --no-deps -r requirements.txt || { err "pip install failed"; return 1; }
    sha requirements.txt >"$stamp"
}

build_service() {
    if [ -n "${LABNET_BIN:-}" ]; then
        [ -x "$LABNET_BIN" ] || { err "LABNET_BIN=$LABNET_BIN is not an executable"; return 1; }
        log "using $LABNET_BIN"
        return 0
    fi
    need cargo "the Rust toolchain" || return 1
    (cd "$ROOT" && cargo build --release --locked) || return 1
    LABNET_BIN="$ROOT/target/release/labnet"
}

setup() {
    need curl "curl" || return 1
    install_node_packages || return 1
    install_python_packages || return 1
    build_service || return 1
}

# ---------------------------------------------------------------------------------------------
# Steps
# ---------------------------------------------------------------------------------------------

# run_generator NAME COMMAND...: fails on a non-zero exit and on any warning in the output.
run_generator() {
    local name=$1 out="$WORK/generate-$1.log"
    shift
    log "$ $*"
    if ! timeout 300 "$@" >"$out" 2>&1; then
        cat "$out"
        err "$name failed"
        return 1
    fi
    cat "$out"
    # The generators print progress lines only; anything that warns, reports an error, skips
    # or calls something unsupported or deprecated is a defect of the spec for SDK users.
    if sed 's/\x1b\[[0-9;]*m//g' "$out" | grep -Eiq 'warn|⚠|🚨|❗|✘|error|fail|skipp|unsupported|deprecat|unable|could not'; then
        err "$name printed warnings (above); the spec must generate cleanly"
        return 1
    fi
    log "$name: no warnings"
}

generate() {
    local rc=0
    rm -rf "$GENERATED"
    mkdir -p "$GENERATED/openapi-typescript"
    run_generator openapi-typescript \
        npx --no-install openapi-typescript "$SPEC" -o "$GENERATED/openapi-typescript/schema.d.ts" || rc=1
    run_generator hey-api npx --no-install openapi-ts -i "$SPEC" -o "$GENERATED/hey-api" || rc=1
    # openapi-python-client formats its output with ruff, from the venv.
    (cd "$GENERATED" && PATH="$VENV/bin:$PATH" run_generator openapi-python-client \
        openapi-python-client generate --path "$SPEC" --output-path "$GENERATED/python") || rc=1
    return "$rc"
}

typecheck() {
    log "$ tsc --strict --noEmit -p tsconfig.json"
    timeout 300 npx --no-install tsc --strict --noEmit -p tsconfig.json || {
        err "the TypeScript does not type-check against the generated clients (above)"
        return 1
    }
    log "tsc: no errors"
}

roundtrips() {
    local rc=0
    start_api roundtrips "sqlite://$WORK/roundtrips.db" || return 1
    # Each client works in a country of its own, so all three share one server.
    log "$ tsx ts/openapi-fetch.ts $API_URL KZ"
    timeout -k 5 120 npx --no-install tsx ts/openapi-fetch.ts "$API_URL" KZ || rc=1
    log "$ tsx ts/hey-api.ts $API_URL UZ"
    timeout -k 5 120 npx --no-install tsx ts/hey-api.ts "$API_URL" UZ || rc=1
    log "$ python python/roundtrip.py $API_URL KG"
    PYTHONPATH="$GENERATED/python" timeout -k 5 120 "$VENV/bin/python" python/roundtrip.py "$API_URL" KG || rc=1
    stop_api roundtrips || rc=1
    return "$rc"
}

browser() {
    local rc=0 page_port page_pid
    [ -x "$CHROMIUM" ] || { err "$CHROMIUM not found (Debian: apt-get install chromium)"; return 1; }
    page_port="$(free_port)"
    python3 -m http.server "$page_port" --bind 127.0.0.1 --directory "$CLIENTS/browser" >"$WORK/page.log" 2>&1 &
    page_pid=$!
    PIDS+=("$page_pid")
    wait_for "http://127.0.0.1:$page_port/index.html" 15 "$page_pid" || { stop_pid "$page_pid"; return 1; }
    if ! start_api browser-api "sqlite://$WORK/browser.db" LABNET_CORS_ORIGINS="http://127.0.0.1:$page_port"; then
        stop_pid "$page_pid"
        return 1
    fi
    mkdir -p "$WORK/chromium-profile"
    log "$ tsx browser/test.ts http://127.0.0.1:$page_port/index.html $API_URL"
    timeout -k 10 120 npx --no-install tsx browser/test.ts \
        "http://127.0.0.1:$page_port/index.html" "$API_URL" "$WORK/chromium-profile" || rc=1
    stop_api browser-api || rc=1
    stop_pid "$page_pid"
    return "$rc"
}

# Most seconds one schemathesis run may take (every phase over every operation, 4 to 6 minutes
# against a release build).
ST_TIMEOUT=720

# schemathesis_on NAME DATABASE_URL
schemathesis_on() {
    local name=$1 database=$2 rc=0 report="$WORK/schemathesis-$1.json" extra=()
    start_api "schemathesis-$name" "$database" || return 1
    "$VENV/bin/python" python/seed.py "$API_URL" "$WORK/seed-$name.json" || { stop_api "schemathesis-$name"; return 1; }
    [ -n "${LABNET_ST_MAX_EXAMPLES:-}" ] && extra+=(--max-examples "$LABNET_ST_MAX_EXAMPLES")
    log "$ st --config-file schemathesis.toml run openapi/openapi.json --url $API_URL ${extra[*]}"
    LABNET_ST_SEED="$WORK/seed-$name.json" HYPOTHESIS_STORAGE_DIRECTORY="$WORK/hypothesis-$name" timeout -k 10 "$ST_TIMEOUT" \
        "$VENV/bin/st" --no-color --config-file schemathesis.toml run "$SPEC" --url "$API_URL" \
        --header "Authorization: Bearer $API_KEY" \
        --report json --report-json-path "$report" "${extra[@]}" || rc=1
    stop_api "schemathesis-$name" || rc=1
    if [ -s "$report" ]; then
        "$VENV/bin/python" python/st_summary.py "$report" "$name" || rc=1
    else
        err "schemathesis wrote no report (timed out or crashed)"
        rc=1
    fi
    return "$rc"
}

st_sqlite() {
    schemathesis_on sqlite "sqlite://$WORK/schemathesis.db"
}

drop_pg_database() {
    psql "$PG_ADMIN_URL" -X -q -v ON_ERROR_STOP=1 \
        -c "DROP DATABASE IF EXISTS \"$PG_DATABASE\" WITH (FORCE)" </dev/null \
        || err "could not drop the database $PG_DATABASE"
    PG_DATABASE=""
}

st_postgres() {
    local rc=0 url
    need psql "postgresql-client" || return 1
    PG_DATABASE="labnet_schemathesis_$$"
    psql "$PG_ADMIN_URL" -X -q -v ON_ERROR_STOP=1 -c "CREATE DATABASE \"$PG_DATABASE\"" </dev/null || {
        err "cannot create a database through $PG_ADMIN_URL"
        PG_DATABASE=""
        return 1
    }
    url="$(python3 -c 'import sys, urllib.parse as u; p = u.urlsplit(sys.argv[1]); print(u.urlunsplit(p._replace(path="/" + sys.argv[2])))' \
        "$PG_ADMIN_URL" "$PG_DATABASE")"
    schemathesis_on postgres "$url" || rc=1
    drop_pg_database
    return "$rc"
}

# ---------------------------------------------------------------------------------------------

STEPS=("$@")
[ "${#STEPS[@]}" -gt 0 ] || STEPS=(generate typecheck roundtrips browser st-sqlite st-postgres)
for s in "${STEPS[@]}"; do
    case "$s" in
        generate | typecheck | roundtrips | browser | st-sqlite | st-postgres) ;;
        *) err "unknown step $s (generate, typecheck, roundtrips, browser, st-sqlite, st-postgres)"; exit 2 ;;
    esac
done
wants() { printf '%s\n' "${STEPS[@]}" | grep -qx "$1"; }

started=$SECONDS
step "tools and the release build" setup
if [ "$FAILED" -ne 0 ]; then
    err "cannot go on without the tools and the build"
    exit 1
fi
if wants generate || wants typecheck || wants roundtrips; then
    step "generate the clients (no warnings)" generate
fi
wants typecheck && step "tsc --strict --noEmit" typecheck
wants roundtrips && step "round trips: openapi-fetch, hey-api, openapi-python-client" roundtrips
wants browser && step "browser: fetch from another origin (CORS)" browser
wants st-sqlite && step "schemathesis on SQLite" st_sqlite
wants st-postgres && step "schemathesis on PostgreSQL" st_postgres

printf '\n==> clients: summary (%d s)\n' "$((SECONDS - started))"
printf '  %s\n' "${RESULTS[@]}"
exit "$FAILED"
