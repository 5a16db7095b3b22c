#!/usr/bin/env bash
# Benchmark of labnet: load time, startup time, throughput, latency and memory.
#
# Usage:
#   bench/run.sh                                   # every size on both backends
#   SIZES=10000 DURATION=5s bench/run.sh           # one size, shorter runs
#   BACKENDS=sqlite SCENARIOS="get search" bench/run.sh
#
# For each size (number of laboratories) and backend it
#   1. creates a fresh database (PostgreSQL: labnet_bench_<size>; SQLite:
#      bench/data/labnet_bench_<size>.db) and fills it with `labnet generate`, timing the
#      load (regions, vendors and localizations scale with the size: 2000 / 5000 / 50000
#      at 1,000,000 laboratories, never fewer than 300 regions);
#   2. samples request parameters from it into bench/data/<backend>-<size>/ (laboratory
#      ids, regions with operational laboratories, countries, words of real names);
#   3. starts `labnet serve` on 127.0.0.1:18090, measures the time from exec to the first
#      200 on /readyz, prepares deep-page tokens with curl and jq, then runs each scenario
#      with wrk (bench/wrk/*.lua) and reads the service's VmHWM/VmRSS after each;
#   4. on PostgreSQL, also runs the lean baseline (bench/baseline, 127.0.0.1:18091) on the
#      same database with the same wrk settings, for the labnet/baseline ratio;
#   5. prints a Markdown table and appends it to bench/results/<date>-<backend>-<size>.md.
#
# Scenarios (SCENARIOS picks a subset, in this order):
#   get          GET /v1/laboratories/{id}, random ids
#   list         GET /v1/laboratories?region_id=…&status=operational&page_size=50
#   deep         the same kind of list ~20 pages in (replayed next_page_token URLs)
#   search       GET /v1/laboratories?q=… (words of real names, percent-encoded)
#   descendants  GET /v1/regions/{country}/descendants
#   subtree      GET /v1/laboratories?region_id=<country>&include_subregions=true
#   near         GET /v1/laboratories?near=<a laboratory's place>&radius_km=50
#   bbox         GET /v1/laboratories?bbox=<one degree around a laboratory's place>
#   create       POST /v1/laboratories (unique codes WRK-<run>-<thread>-<n>)
#   patch        PATCH /v1/laboratories/{id} with If-Match (ETags learned from responses)
# Writes run last so the read scenarios see the generated data only.
#
# Settings (environment):
#   SIZES="10000 100000 1000000"   laboratories per data set
#   BACKENDS="postgres sqlite"
#   SCENARIOS="get list deep search descendants subtree near bbox create patch"
#   DURATION=15s  THREADS=2  CONNECTIONS=32  WRK_TIMEOUT=10s     wrk settings
#   WARMUP=3s                      unrecorded GET-by-id load after each service start (opens
#                                  the connection pools; 0 skips it)
#   POOL_SIZE=8                    database connections of labnet and of the baseline
#   DEEP_PAGES=20                  how far the deep scenario follows next_page_token
#   REUSE=1                        keep a database that already holds SIZE generated
#                                  laboratories (rows added by earlier create runs are deleted)
#   SEED=42                        generator seed
#   REGIONS= VENDORS= LOCALIZATIONS=   override the derived counts
#   LOADER=generate                or `api`: a small data set created through the HTTP API
#                                  with curl (checks the harness without `labnet generate`)
#   BASELINE=1                     0 skips the baseline
#   BUILD=1                        0 skips the cargo builds
#   LABNET_BIN=                    measure another labnet binary (not built here)
#   PG_HOST=127.0.0.1 PG_PORT=5432 PG_USER=postgres   (PGPASSWORD is passed through)
#   PORT=18090 BASELINE_PORT=18091
#
# Needs: cargo, curl, jq, wrk, psql (PostgreSQL runs) and sqlite3 (SQLite runs); wrk,
# jq and sqlite3 are installed with apt-get when missing. Only loopback addresses are used.
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$BENCH_DIR/.." && pwd)"

SIZES="${SIZES:-10000 100000 1000000}"
BACKENDS="${BACKENDS:-postgres sqlite}"
SCENARIOS="${SCENARIOS:-get list deep search descendants subtree near bbox create patch}"
DURATION="${DURATION:-15s}"
THREADS="${THREADS:-2}"
CONNECTIONS="${CONNECTIONS:-32}"
WRK_TIMEOUT="${WRK_TIMEOUT:-10s}"
WARMUP="${WARMUP:-3s}"
POOL_SIZE="${POOL_SIZE:-8}"
REUSE="${REUSE:-0}"
SEED="${SEED:-42}"
LOADER="${LOADER:-generate}"
BASELINE="${BASELINE:-1}"
BUILD="${BUILD:-1}"
PG_HOST="${PG_HOST:-127.0.0.1}"
PG_PORT="${PG_PORT:-5432}"
PG_USER="${PG_USER:-postgres}"
PORT="${PORT:-18090}"
BASELINE_PORT="${BASELINE_PORT:-18091}"
DEEP_PAGES="${DEEP_PAGES:-20}"

LABNET="${LABNET_BIN:-$ROOT/target/release/labnet}"
BASELINE_BIN="$BENCH_DIR/baseline/target/release/labnet-baseline"
DATA_DIR="$BENCH_DIR/data"
RESULTS_DIR="$BENCH_DIR/results"
export BENCH_WRK_DIR="$BENCH_DIR/wrk"

# Processes started here, stopped on exit.
SERVICE_PID=""
BASELINE_PID=""

log() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() {
    printf 'error: %s\n' "$*" >&2
    exit 1
}

now_ns() { date +%s%N; }
# seconds between two now_ns readings, 3 decimals
elapsed_s() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b - a) / 1e9 }'; }

stop_pid() { # stop_pid PID: SIGTERM, up to 40 s to exit, then SIGKILL
    local pid="$1" i
    [ -n "$pid" ] || return 0
    kill -0 "$pid" 2>/dev/null || {
        wait "$pid" 2>/dev/null || true
        return 0
    }
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 400; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        log "process $pid ignored SIGTERM for 40 s; killing it"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
}

cleanup() {
    stop_pid "$SERVICE_PID"
    SERVICE_PID=""
    stop_pid "$BASELINE_PID"
    BASELINE_PID=""
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT
trap 'log "terminated"; exit 143' TERM

# ---------------------------------------------------------------------------
# Checks and tools
# ---------------------------------------------------------------------------

is_loopback() {
    case "$1" in
        127.* | localhost | ::1 | '[::1]') return 0 ;;
        *) return 1 ;;
    esac
}
is_loopback "$PG_HOST" || die "PG_HOST must be a loopback address (got $PG_HOST)"
case "$LOADER" in generate | api) ;; *) die "LOADER must be generate or api" ;; esac
for size in $SIZES; do
    [[ "$size" =~ ^[1-9][0-9]*$ ]] || die "SIZES: '$size' is not a positive number"
done
for backend in $BACKENDS; do
    case "$backend" in postgres | sqlite) ;; *) die "BACKENDS: unknown backend '$backend'" ;; esac
done
for scenario in $SCENARIOS; do
    case "$scenario" in
        get | list | deep | search | descendants | subtree | near | bbox | create | patch) ;;
        *) die "SCENARIOS: unknown scenario '$scenario'" ;;
    esac
done

apt_updated=0
ensure_cmd() { # ensure_cmd COMMAND PACKAGE
    command -v "$1" >/dev/null 2>&1 && return 0
    log "installing $2"
    if [ "$apt_updated" = 0 ]; then
        DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
        apt_updated=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null </dev/null
    command -v "$1" >/dev/null 2>&1 || die "$1 is still missing after installing $2"
}

ensure_cmd wrk wrk
ensure_cmd jq jq
ensure_cmd curl curl
case " $BACKENDS " in *" sqlite "*) ensure_cmd sqlite3 sqlite3 ;; esac
case " $BACKENDS " in *" postgres "*) ensure_cmd psql postgresql-client ;; esac
command -v cargo >/dev/null 2>&1 || die "cargo is not on PATH"

want_baseline=0
if [ "$BASELINE" = 1 ] && [[ " $BACKENDS " == *" postgres "* ]] && [[ " $SCENARIOS " == *" get "* ]]; then
    want_baseline=1
fi

if [ "$BUILD" = 1 ]; then
    if [ -z "${LABNET_BIN:-}" ]; then
        log "building labnet (release)"
        (cd "$ROOT" && cargo build --release --quiet) || die "cargo build --release failed"
    fi
    if [ "$want_baseline" = 1 ]; then
        log "building the baseline (release)"
        cargo build --release --quiet --manifest-path "$BENCH_DIR/baseline/Cargo.toml" ||
            die "building bench/baseline failed"
    fi
fi
[ -x "$LABNET" ] || die "$LABNET is missing (run with BUILD=1)"
if [ "$want_baseline" = 1 ] && [ ! -x "$BASELINE_BIN" ]; then
    die "$BASELINE_BIN is missing (run with BUILD=1)"
fi
# Run a copy, so a build in the same target directory cannot swap the binary mid-run, and
# note which commit it was built from.
mkdir -p "$DATA_DIR"
cp "$LABNET" "$DATA_DIR/labnet.run"
LABNET="$DATA_DIR/labnet.run"
LABNET_COMMIT=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ -n "$(git -C "$ROOT" status --porcelain -- src migrations Cargo.toml Cargo.lock 2>/dev/null)" ]; then
    LABNET_COMMIT="$LABNET_COMMIT (with uncommitted changes)"
fi
if [ "$LOADER" = generate ] && ! "$LABNET" generate --help >/dev/null 2>&1; then
    die "this labnet build has no 'generate' command; LOADER=api makes a small data set through the API instead"
fi

if [[ " $BACKENDS " == *" postgres "* ]]; then
    psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d postgres -X -Atqc 'SELECT 1' >/dev/null ||
        die "cannot reach PostgreSQL at $PG_HOST:$PG_PORT as $PG_USER"
fi

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

mkdir -p "$DATA_DIR" "$RESULTS_DIR"

# ---------------------------------------------------------------------------
# Databases
# ---------------------------------------------------------------------------

BACKEND=""   # current backend
DB_NAME=""   # PostgreSQL database name
DB_FILE=""   # SQLite file
DB_URL=""

pg() { # pg DATABASE SQL
    psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d "$1" -X -A -t -q -v ON_ERROR_STOP=1 -c "$2"
}

# dbq SQL: rows of the current database, one per line, columns separated by '|'.
dbq() {
    case "$BACKEND" in
        postgres) pg "$DB_NAME" "$1" ;;
        sqlite) sqlite3 -batch -noheader -separator '|' "$DB_FILE" "$1" ;;
    esac
}

select_database() { # select_database BACKEND SIZE
    BACKEND="$1"
    DB_NAME="labnet_bench_$2"
    case "$BACKEND" in
        postgres)
            DB_FILE=""
            # No TLS on loopback, for labnet as for the baseline (libpq would otherwise
            # negotiate it with a server that has `ssl = on`, as Debian's has).
            DB_URL="postgres://$PG_USER@$PG_HOST:$PG_PORT/$DB_NAME?sslmode=disable"
            ;;
        sqlite)
            DB_FILE="$DATA_DIR/$DB_NAME.db"
            DB_URL="sqlite://$DB_FILE"
            ;;
    esac
}

database_exists() {
    case "$BACKEND" in
        postgres) [ "$(pg postgres "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'")" = 1 ] ;;
        sqlite) [ -s "$DB_FILE" ] ;;
    esac
}

# Laboratories of the data set itself (not those created by the create scenario).
dataset_laboratories() {
    dbq "SELECT count(*) FROM laboratories WHERE code NOT LIKE 'WRK-%'" 2>/dev/null || echo 0
}

recreate_database() {
    case "$BACKEND" in
        postgres)
            pg postgres "DROP DATABASE IF EXISTS $DB_NAME WITH (FORCE)"
            pg postgres "CREATE DATABASE $DB_NAME"
            ;;
        sqlite)
            rm -f "$DB_FILE" "$DB_FILE-wal" "$DB_FILE-shm"
            ;;
    esac
}

total_rows() {
    local sql="SELECT 0" table
    for table in regions laboratories laboratory_disciplines vendors vendor_categories \
        localizations localization_scopes localization_stage_changes; do
        sql="$sql + (SELECT count(*) FROM $table)"
    done
    dbq "$sql"
}

# ---------------------------------------------------------------------------
# The service
# ---------------------------------------------------------------------------

STARTUP_S=""

# await_ready NAME PID PORT LOGFILE SECONDS: polls /readyz every 10 ms until it answers 200;
# dies if the process exits first or the time runs out.
await_ready() {
    local name="$1" pid="$2" port="$3" logfile="$4" deadline code rc=0
    deadline=$(($(now_ns) + $5 * 1000000000))
    while :; do
        code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://127.0.0.1:$port/readyz" || true)
        [ "$code" = 200 ] && return 0
        if ! kill -0 "$pid" 2>/dev/null; then
            wait "$pid" 2>/dev/null || rc=$?
            tail -n 20 "$logfile" >&2
            die "$name exited with status $rc before it was ready (log: $logfile)"
        fi
        [ "$(now_ns)" -lt "$deadline" ] || die "$name was not ready within $5 s (log: $logfile)"
        sleep 0.01
    done
}

# start_labnet LOGFILE: starts `labnet serve` and waits for /readyz; sets SERVICE_PID and
# STARTUP_S (exec to first 200, polled every 10 ms, at most 120 s).
start_labnet() {
    local logfile="$1" t0 t1
    port_in_use "$PORT" && die "127.0.0.1:$PORT is already in use"
    t0=$(now_ns)
    # wrk sends far more than the default quotas from one address (and one key): quotas no
    # run can reach keep the limiter's cost in the measurement without a single 429.
    DATABASE_URL="$DB_URL" LABNET_BIND="127.0.0.1:$PORT" LABNET_POOL_SIZE="$POOL_SIZE" \
        LABNET_SHUTDOWN_TIMEOUT=5 LOG_FORMAT=json RUST_LOG=warn \
        LABNET_RATE_LIMIT_PER_KEY=4000000000 LABNET_RATE_LIMIT_ANONYMOUS=4000000000 \
        "$LABNET" serve >>"$logfile" 2>&1 &
    SERVICE_PID=$!
    await_ready labnet "$SERVICE_PID" "$PORT" "$logfile" 120
    t1=$(now_ns)
    STARTUP_S=$(elapsed_s "$t0" "$t1")
}

stop_labnet() {
    stop_pid "$SERVICE_PID"
    SERVICE_PID=""
}

start_baseline() { # start_baseline LOGFILE
    local logfile="$1"
    port_in_use "$BASELINE_PORT" && die "127.0.0.1:$BASELINE_PORT is already in use"
    DATABASE_URL="$DB_URL" BASELINE_BIND="127.0.0.1:$BASELINE_PORT" BASELINE_POOL_SIZE="$POOL_SIZE" \
        "$BASELINE_BIN" >>"$logfile" 2>&1 &
    BASELINE_PID=$!
    await_ready "the baseline" "$BASELINE_PID" "$BASELINE_PORT" "$logfile" 60
}

stop_baseline() {
    stop_pid "$BASELINE_PID"
    BASELINE_PID=""
}

# proc_kib PID FIELD: VmHWM / VmRSS of a process, in KiB.
proc_kib() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f MiB", k / 1024 }'; }

# ---------------------------------------------------------------------------
# Data: through `labnet generate`, or a small set through the API
# ---------------------------------------------------------------------------

LOAD_LINE=""

derived_count() { # derived_count OVERRIDE SIZE DIVISOR MINIMUM
    local override="$1" size="$2" divisor="$3" minimum="$4" n
    if [ -n "$override" ]; then
        echo "$override"
        return
    fi
    n=$((size / divisor))
    [ "$n" -ge "$minimum" ] || n="$minimum"
    echo "$n"
}

load_generate() { # load_generate SIZE LOGFILE
    local size="$1" logfile="$2" regions vendors localizations t0 t1 secs rows
    regions=$(derived_count "${REGIONS:-}" "$size" 500 300)
    vendors=$(derived_count "${VENDORS:-}" "$size" 200 50)
    localizations=$(derived_count "${LOCALIZATIONS:-}" "$size" 20 500)
    log "generating: $regions regions, $size laboratories, $vendors vendors, $localizations localizations"
    t0=$(now_ns)
    if ! DATABASE_URL="$DB_URL" LOG_FORMAT=json RUST_LOG=warn "$LABNET" generate \
        --regions "$regions" --laboratories "$size" --vendors "$vendors" \
        --localizations "$localizations" --seed "$SEED" >>"$logfile" 2>&1 </dev/null; then
        tail -n 20 "$logfile" >&2
        die "labnet generate failed (log: $logfile)"
    fi
    t1=$(now_ns)
    secs=$(elapsed_s "$t0" "$t1")
    rows=$(total_rows)
    LOAD_LINE=$(awk -v r="$rows" -v l="$size" -v s="$secs" -v g="$regions" -v v="$vendors" -v z="$localizations" 'BEGIN {
        printf "%d rows in %.1f s: %.0f rows/s, %.0f laboratories/s (%d regions, %d laboratories, %d vendors, %d localizations requested)",
            r, s, r / s, l / s, g, l, v, z }')
    log "load: $LOAD_LINE"
}

# make_keys: a reader key for the read scenarios and an editor key for the writes, made
# with `labnet keys create` on the database as an operator would; every request of the
# run carries one (BENCH_KEY in bench/wrk/common.lua).
make_keys() {
    READER_KEY=$(DATABASE_URL="$DB_URL" "$LABNET" keys create --role reader --name bench-reader 2>/dev/null) ||
        die "labnet keys create --role reader failed"
    EDITOR_KEY=$(DATABASE_URL="$DB_URL" "$LABNET" keys create --role editor --name bench-editor 2>/dev/null) ||
        die "labnet keys create --role editor failed"
}

api_post() { # api_post PATH JSON -> id of the created resource
    local body status
    body=$(curl -s --max-time 10 -w '\n%{http_code}' -H 'content-type: application/json' \
        -H "Authorization: Bearer $EDITOR_KEY" \
        -d "$2" "http://127.0.0.1:$PORT$1")
    status=${body##*$'\n'}
    body=${body%$'\n'*}
    [ "$status" = 201 ] || die "POST $1 answered $status: $body"
    jq -r .id <<<"$body"
}

load_api() { # load_api SIZE LOGFILE: countries > districts > regions, SIZE laboratories
    local size="$1" logfile="$2" t0 t1 secs rows country cid d did r rid i n
    local -a leaf_regions=() countries=(RU KZ BY UZ)
    local -a cities=("Курган" "Омск" "Тюмень" "Казань" "Самара" "Пермь" "Уфа" "Томск" "Барнаул" "Иркутск")
    local -a words=("Центральная" "Городская" "Областная" "Районная" "Клиническая" "Диагностическая" "Детская" "Межрайонная")
    local -a kinds=(central branch collection_point mobile)
    local -a statuses=(planned under_construction operational operational operational suspended)
    [ "$size" -le 5000 ] || die "LOADER=api is for small data sets (at most 5000 laboratories)"
    t0=$(now_ns)
    start_labnet "$logfile"
    for country in "${countries[@]}"; do
        cid=$(api_post /v1/regions "{\"code\":\"$country\",\"name\":\"Страна $country\",\"country_code\":\"$country\",\"level\":\"country\"}")
        for d in 1 2 3; do
            did=$(api_post /v1/regions "{\"code\":\"$country-D$d\",\"name\":\"${words[d]} округ $country-$d\",\"country_code\":\"$country\",\"level\":\"district\",\"parent_id\":\"$cid\"}")
            for r in 1 2 3 4; do
                rid=$(api_post /v1/regions "{\"code\":\"$country-D$d-R$r\",\"name\":\"${cities[(d * 4 + r) % 10]}ская область $country-$d-$r\",\"country_code\":\"$country\",\"level\":\"region\",\"parent_id\":\"$did\",\"rollout_stage\":\"pilot\"}")
                leaf_regions+=("$rid")
            done
        done
    done
    n=${#leaf_regions[@]}
    for ((i = 0; i < size; i++)); do
        api_post /v1/laboratories "{\"region_id\":\"${leaf_regions[i % n]}\",\"code\":\"API-$i\",
            \"name\":\"${words[i % 8]} лаборатория ${cities[i % 10]} №$i\",\"kind\":\"${kinds[i % 4]}\",
            \"status\":\"${statuses[i % 6]}\",\"latitude\":$((40 + i % 30)).5,\"longitude\":$((30 + i % 100)).25,
            \"capacity_per_day\":$((100 + (i * 37) % 9000)),\"disciplines\":[\"hematology\"]}" >/dev/null
    done
    stop_labnet
    t1=$(now_ns)
    secs=$(elapsed_s "$t0" "$t1")
    rows=$(total_rows)
    LOAD_LINE=$(awk -v r="$rows" -v s="$secs" 'BEGIN {
        printf "%d rows in %.1f s through the API (LOADER=api): %.0f rows/s", r, s, r / s }')
    log "load: $LOAD_LINE"
}

# ---------------------------------------------------------------------------
# Request parameters
# ---------------------------------------------------------------------------

sample_parameters() { # sample_parameters DIR
    local dir="$1"
    dbq "SELECT id FROM laboratories WHERE code NOT LIKE 'WRK-%' ORDER BY random() LIMIT 10000" >"$dir/lab_ids.txt"
    # Regions holding operational laboratories, where creates put theirs.
    dbq "SELECT region_id FROM laboratories WHERE status = 'operational'
         GROUP BY region_id ORDER BY random() LIMIT 1000" >"$dir/region_ids.txt"
    # For the list scenario, which filters on one region without its subtree: regions below
    # country level holding at least a page (50) of operational laboratories directly, so
    # the first page is full at every size and the 1M / 10k ratio compares pages of the same
    # length (at 10k most regions hold a dozen); any of the above if none does.
    dbq "SELECT l.region_id FROM laboratories l JOIN regions r ON r.id = l.region_id
         WHERE l.status = 'operational' AND r.level IN ('district', 'region')
         GROUP BY l.region_id HAVING count(*) >= 50 ORDER BY random() LIMIT 1000" >"$dir/list_region_ids.txt"
    [ -s "$dir/list_region_ids.txt" ] || cp "$dir/region_ids.txt" "$dir/list_region_ids.txt"
    dbq "SELECT id FROM regions WHERE level = 'country' ORDER BY code" >"$dir/country_ids.txt"
    # Places of laboratories (latitude,longitude), the centres of the geographic scenarios.
    dbq "SELECT latitude || ',' || longitude FROM laboratories WHERE latitude IS NOT NULL
         ORDER BY random() LIMIT 1000" >"$dir/lab_points.txt"
    # Words of four letters or more from real names, in any script.
    dbq "SELECT name FROM laboratories ORDER BY random() LIMIT 3000" |
        LC_ALL=C.UTF-8 grep -oE '[[:alpha:]]{4,}' | LC_ALL=C.UTF-8 sort -u |
        shuf -n 500 --random-source=<(yes) >"$dir/search_terms.txt" || true
    local name
    for name in lab_ids region_ids list_region_ids country_ids lab_points search_terms; do
        [ -s "$dir/$name.txt" ] || die "no rows for $name.txt in the $BACKEND database"
    done
    log "sampled $(wc -l <"$dir/lab_ids.txt") laboratory ids, $(wc -l <"$dir/region_ids.txt") regions ($(wc -l <"$dir/list_region_ids.txt") with a full page), $(wc -l <"$dir/country_ids.txt") countries, $(wc -l <"$dir/search_terms.txt") search terms"
}

DEEP_NOTE=""

# prepare_deep_urls DIR: follows next_page_token DEEP_PAGES pages into a few list queries
# and writes the URLs of the last pages reached to DIR/deep_urls.txt.
prepare_deep_urls() {
    local dir="$1" out="$1/deep_urls.txt" base url token page chains=0
    # Lists long enough at every size (10k included) to reach page 21, so every size
    # measures the same mix. (A country's subtree, filtered by status, is too short at 10k;
    # the subtree list has a scenario of its own.)
    local -a bases=(
        "/v1/laboratories?status=operational&page_size=50"
        "/v1/laboratories?status=operational&page_size=50&sort=name"
        "/v1/laboratories?status=operational&page_size=50&sort=-capacity_per_day"
    )
    : >"$out"
    for base in "${bases[@]}"; do
        url="$base"
        token=""
        for ((page = 1; page <= DEEP_PAGES; page++)); do
            token=$(curl -sf --max-time 30 -H "Authorization: Bearer $READER_KEY" "http://127.0.0.1:$PORT$url" | jq -r '.next_page_token // empty') ||
                die "preparing deep pages: GET $url failed"
            [ -n "$token" ] || break
            url="$base&page_token=$(jq -rn --arg t "$token" '$t | @uri')"
            # url is now page page+1; keep pages DEEP_PAGES-3 .. DEEP_PAGES+1 of each query
            if [ "$page" -gt $((DEEP_PAGES - 5)) ]; then
                echo "$url" >>"$out"
                [ "$page" -ne "$DEEP_PAGES" ] || chains=$((chains + 1))
            fi
        done
    done
    [ -s "$out" ] || die "no list reaches page $((DEEP_PAGES - 3)); the data set is too small for the deep scenario"
    DEEP_NOTE="$(wc -l <"$out") URLs, pages $((DEEP_PAGES - 3))–$((DEEP_PAGES + 1)); $chains of ${#bases[@]} queries reach page $((DEEP_PAGES + 1))"
}

# ---------------------------------------------------------------------------
# wrk
# ---------------------------------------------------------------------------

# Result of the last run_wrk: R_RPS R_P50 R_P99 R_REQUESTS R_NON2XX R_SOCKET R_NOTE
run_wrk() { # run_wrk SCRIPT BASE_URL OUTFILE [ENV=VALUE...]
    run_wrk_for "$DURATION" "$@"
}

run_wrk_for() { # run_wrk_for DURATION SCRIPT BASE_URL OUTFILE [ENV=VALUE...]
    local duration="$1" script="$2" base="$3" outfile="$4"
    shift 4
    env "$@" BENCH_THREADS="$THREADS" BENCH_TIMEOUT_S="$(to_seconds "$WRK_TIMEOUT")" \
        timeout --foreground --signal=INT --kill-after=30 "$(wrk_deadline "$duration")" \
        wrk -t"$THREADS" -c"$CONNECTIONS" -d"$duration" --timeout "$WRK_TIMEOUT" --latency \
        -s "$BENCH_WRK_DIR/$script" "$base" >"$outfile" 2>&1 ||
        { cat "$outfile" >&2; die "wrk failed for $script (output: $outfile)"; }
    R_RPS=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$outfile")
    R_P50=$(latency_ms 50% "$outfile")
    R_P99=$(latency_ms 99% "$outfile")
    R_REQUESTS=$(awk '/requests in/ { print $1 }' "$outfile")
    R_NON2XX=$(awk -F: '/Non-2xx or 3xx responses/ { gsub(/ /, "", $2); print $2 }' "$outfile")
    R_SOCKET=$(awk '/Socket errors:/ { sub(/^ *Socket errors: */, ""); print }' "$outfile")
    R_NOTE=$(awk '/^BENCH_NOTE / { sub(/^BENCH_NOTE /, ""); print }' "$outfile")
    [ -n "$R_RPS" ] || { cat "$outfile" >&2; die "cannot read wrk's output ($outfile)"; }
}

# Longest a wrk run may take: its duration plus the request timeout plus a margin.
wrk_deadline() { # wrk_deadline DURATION
    echo $(($(to_seconds "$1") + $(to_seconds "$WRK_TIMEOUT") + 30))
}

warm_up() { # warm_up BASE_URL OUTFILE [ENV=VALUE...]
    [ "$(to_seconds "$WARMUP")" -gt 0 ] || return 0
    log "warm-up ($WARMUP)"
    run_wrk_for "$WARMUP" get_laboratory.lua "$@"
}
to_seconds() { # 15s, 2m, 1h, 30 -> seconds
    local v="$1"
    case "$v" in
        *h) echo $((${v%h} * 3600)) ;;
        *m) echo $((${v%m} * 60)) ;;
        *s) echo "${v%s}" ;;
        *) echo "$v" ;;
    esac
}

# latency_ms PERCENTILE FILE: a line of wrk's "Latency Distribution" block, in ms.
latency_ms() {
    awk -v p="$1" '
        /Latency Distribution/ { block = 1; next }
        block && $1 == p {
            v = $2; unit = v; sub(/[0-9.]+/, "", unit); n = v + 0
            if (unit == "us") n /= 1000; else if (unit == "s") n *= 1000; else if (unit == "m") n *= 60000
            printf "%.2f ms", n; exit
        }' "$2"
}

# ---------------------------------------------------------------------------
# One backend and size
# ---------------------------------------------------------------------------

declare -A SCENARIO_TITLE=(
    [get]='(1) GET /v1/laboratories/{id}'
    [list]='(2) GET /v1/laboratories?region_id&status=operational&page_size=50'
    [deep]='(2b) same kind of list, ~20 pages in (page_token)'
    [search]='(3) GET /v1/laboratories?q= (Cyrillic words)'
    [descendants]='(5) GET /v1/regions/{country}/descendants'
    [subtree]='(5b) GET /v1/laboratories?region_id=<country>&include_subregions=true'
    [near]='(6) GET /v1/laboratories?near=<lat,lon>&radius_km=50 (nearest first)'
    [bbox]='(6b) GET /v1/laboratories?bbox=<1° box>'
    [create]='(4) POST /v1/laboratories'
    [patch]='(4b) PATCH /v1/laboratories/{id} with If-Match'
)
declare -A SCENARIO_SCRIPT=(
    [get]=get_laboratory.lua [list]=list_region.lua [deep]=list_deep.lua [search]=search.lua
    [descendants]=descendants.lua [subtree]=subtree.lua [near]=near.lua [bbox]=bbox.lua
    [create]=create.lua [patch]=patch.lua
)
SCENARIO_ORDER="get list deep search descendants subtree near bbox create patch"

bench_one() { # bench_one BACKEND SIZE
    local backend="$1" size="$2" work existing scenario flag rss_after hwm
    local get_rps="" get_p50="" get_p99="" table
    select_database "$backend" "$size"
    work="$DATA_DIR/$backend-$size"
    rm -rf "$work"
    mkdir -p "$work"
    log "== $backend, $size laboratories ($DB_URL)"

    existing=0
    if [ "$REUSE" = 1 ] && database_exists; then
        existing=$(dataset_laboratories)
    fi
    if [ "$existing" = "$size" ]; then
        # Back to the generated data: drop what earlier create scenarios added.
        dbq "DELETE FROM laboratory_disciplines WHERE laboratory_id IN
                 (SELECT id FROM laboratories WHERE code LIKE 'WRK-%');
             DELETE FROM laboratory_search_terms WHERE laboratory_id IN
                 (SELECT id FROM laboratories WHERE code LIKE 'WRK-%');
             DELETE FROM laboratories WHERE code LIKE 'WRK-%';" >/dev/null
        LOAD_LINE="reused the existing database ($size laboratories; REUSE=1)"
        log "$LOAD_LINE"
        make_keys
    else
        recreate_database
        make_keys
        case "$LOADER" in
            generate) load_generate "$size" "$work/generate.log" ;;
            api) load_api "$size" "$work/load.log" ;;
        esac
    fi
    # PostgreSQL's autovacuum would analyze the fresh tables within minutes anyway; doing it
    # now makes the plans the same on every run. SQLite gets no ANALYZE, as in production.
    if [ "$BACKEND" = postgres ]; then
        pg "$DB_NAME" "VACUUM ANALYZE" >/dev/null
    fi
    sample_parameters "$work"

    start_labnet "$work/labnet.log"
    log "labnet ready in $STARTUP_S s (pid $SERVICE_PID)"
    case " $SCENARIOS " in *" deep "*) prepare_deep_urls "$work" ;; esac
    warm_up "http://127.0.0.1:$PORT" "$work/wrk-warmup.txt" BENCH_DATA_DIR="$work" BENCH_KEY="$READER_KEY"

    table="$work/table.md"
    {
        echo "| scenario | req/s | p50 | p99 | peak RSS | errors / notes |"
        echo "|---|---:|---:|---:|---:|---|"
    } >"$table"

    local run_id
    run_id=$(date +%s)
    for scenario in $SCENARIO_ORDER; do
        [[ " $SCENARIOS " == *" $scenario "* ]] || continue
        log "scenario $scenario (${DURATION})"
        local key="$READER_KEY"
        case "$scenario" in create | patch) key="$EDITOR_KEY" ;; esac
        run_wrk "${SCENARIO_SCRIPT[$scenario]}" "http://127.0.0.1:$PORT" "$work/wrk-$scenario.txt" \
            BENCH_DATA_DIR="$work" BENCH_RUN="$run_id" BENCH_KEY="$key"
        kill -0 "$SERVICE_PID" 2>/dev/null || die "labnet died during the $scenario scenario (log: $work/labnet.log)"
        hwm=$(proc_kib "$SERVICE_PID" VmHWM)
        flag=""
        [ -z "$R_NON2XX" ] || flag="**FLAGGED: $R_NON2XX non-2xx/3xx of $R_REQUESTS**"
        if [ -n "$R_SOCKET" ]; then
            flag="${flag:+$flag; }**socket errors: $R_SOCKET**"
        fi
        [ -z "$R_NOTE" ] || flag="${flag:+$flag; }$R_NOTE"
        [ "$scenario" != deep ] || flag="${flag:+$flag; }$DEEP_NOTE"
        printf '| %s | %s | %s | %s | %s | %s |\n' "${SCENARIO_TITLE[$scenario]}" "$R_RPS" \
            "$R_P50" "$R_P99" "$(mib "$hwm")" "${flag:-ok}" >>"$table"
        log "  $R_RPS req/s, p50 $R_P50, p99 $R_P99, peak RSS $(mib "$hwm")${flag:+ — $flag}"
        if [ "$scenario" = get ]; then
            get_rps="$R_RPS" get_p50="$R_P50" get_p99="$R_P99"
        fi
    done
    rss_after=$(proc_kib "$SERVICE_PID" VmRSS)
    hwm=$(proc_kib "$SERVICE_PID" VmHWM)
    stop_labnet

    local baseline_line="not run (PostgreSQL only, needs the get scenario; BASELINE=1)"
    if [ "$want_baseline" = 1 ] && [ "$BACKEND" = postgres ]; then
        start_baseline "$work/baseline.log"
        warm_up "http://127.0.0.1:$BASELINE_PORT" "$work/wrk-baseline-warmup.txt" \
            BENCH_DATA_DIR="$work" BENCH_GET_PREFIX=/laboratories/
        log "scenario baseline (${DURATION})"
        run_wrk get_laboratory.lua "http://127.0.0.1:$BASELINE_PORT" "$work/wrk-baseline.txt" \
            BENCH_DATA_DIR="$work" BENCH_GET_PREFIX=/laboratories/
        local bhwm
        bhwm=$(proc_kib "$BASELINE_PID" VmHWM)
        stop_baseline
        flag=""
        [ -z "$R_NON2XX" ] || flag="**FLAGGED: $R_NON2XX non-2xx/3xx of $R_REQUESTS**"
        if [ -n "$R_SOCKET" ]; then
            flag="${flag:+$flag; }**socket errors: $R_SOCKET**"
        fi
        printf '| %s | %s | %s | %s | %s | %s |\n' "baseline: GET /laboratories/{id} (tokio-postgres)" \
            "$R_RPS" "$R_P50" "$R_P99" "$(mib "$bhwm")" "${flag:-ok}" >>"$table"
        log "  baseline $R_RPS req/s, p50 $R_P50, p99 $R_P99${flag:+ — $flag}"
        baseline_line=$(awk -v a="$get_rps" -v b="$R_RPS" -v p="${get_p50% ms}" -v q="${R_P50% ms}" \
            -v r="${get_p99% ms}" -v s="${R_P99% ms}" 'BEGIN {
                printf "labnet/baseline on GET by id: throughput %.2f×, p50 %.2f×, p99 %.2f×",
                    a / b, (q > 0 ? p / q : 0), (s > 0 ? r / s : 0) }')
    fi

    local report="$work/report.md"
    {
        echo "## $backend, $size laboratories — $(date '+%Y-%m-%d %H:%M:%S %Z')"
        echo
        echo "labnet $LABNET_COMMIT${LABNET_BIN:+ (binary $LABNET_BIN)}; $(nproc) cores; wrk -t$THREADS -c$CONNECTIONS -d$DURATION --timeout $WRK_TIMEOUT after a $WARMUP warm-up; pool $POOL_SIZE; seed $SEED"
        echo
        echo "- load: $LOAD_LINE"
        echo "- startup to ready (exec to first 200 on /readyz): $STARTUP_S s"
        echo "- RSS after the run: $(mib "$rss_after") (peak $(mib "$hwm"))"
        echo "- baseline: $baseline_line"
        echo "- service log (RUST_LOG=warn): $(wc -l <"$work/labnet.log") lines in bench/data/$backend-$size/labnet.log"
        echo
        cat "$table"
        echo
    } >"$report"
    echo
    cat "$report"
    cat "$report" >>"$RESULTS_DIR/$(date +%F)-$backend-$size.md"
    log "appended to bench/results/$(date +%F)-$backend-$size.md"
}

for size in $SIZES; do
    for backend in $BACKENDS; do
        bench_one "$backend" "$size"
    done
done
