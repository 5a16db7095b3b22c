-- (1) GET /v1/laboratories/{id} with random existing ids (lab_ids.txt).
-- BENCH_GET_PREFIX changes the path prefix: the baseline service serves /laboratories/{id}.
local common = dofile(os.getenv("BENCH_WRK_DIR") .. "/common.lua")
setup = common.setup

local ids
local prefix = os.getenv("BENCH_GET_PREFIX") or "/v1/laboratories/"

function init(args)
  common.seed()
  ids = common.lines("lab_ids.txt")
end

function request()
  return wrk.format("GET", prefix .. common.pick(ids))
end
