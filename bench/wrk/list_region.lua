-- (2) First page of a region's operational laboratories:
-- GET /v1/laboratories?region_id=…&status=operational&page_size=50 (region_ids.txt).
local common = dofile(os.getenv("BENCH_WRK_DIR") .. "/common.lua")
setup = common.setup

local regions

function init(args)
  common.seed()
  regions = common.lines("region_ids.txt")
end

function request()
  return wrk.format("GET", "/v1/laboratories?region_id=" .. common.pick(regions)
    .. "&status=operational&page_size=50")
end
