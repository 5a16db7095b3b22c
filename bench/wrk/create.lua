-- (4) POST /v1/laboratories: a valid new laboratory in a random region (region_ids.txt).
-- Codes are unique per request: WRK-<run>-<thread>-<counter>, where <run> (BENCH_RUN, set
-- by run.sh to the start time) keeps them apart from earlier runs on a reused database.
local common = dofile(os.getenv("BENCH_WRK_DIR") .. "/common.lua")
setup = common.setup

local regions
local run = os.getenv("BENCH_RUN") or tostring(os.time())
local counter = 0
statuses = {}

local kinds = { "branch", "collection_point", "mobile", "central" }
local statuses_new = { "planned", "under_construction", "operational" }

function init(args)
  common.seed()
  regions = common.lines("region_ids.txt")
end

function request()
  counter = counter + 1
  local body = string.format(
    '{"region_id":"%s","code":"WRK-%s-%d-%d","name":"Лаборатория нагрузочного теста %d-%d",'
      .. '"kind":"%s","status":"%s","latitude":%.5f,"longitude":%.5f,'
      .. '"capacity_per_day":%d,"disciplines":["clinical_chemistry","hematology"]}',
    common.pick(regions), run, thread_number, counter, thread_number, counter,
    common.pick(kinds), common.pick(statuses_new),
    40 + math.random() * 30, 30 + math.random() * 100, math.random(100, 20000))
  return wrk.format("POST", "/v1/laboratories", common.headers({ ["Content-Type"] = "application/json" }), body)
end

function response(status, headers, body)
  common.count_status(status)
end

function done(summary, latency, requests)
  common.report()
end
