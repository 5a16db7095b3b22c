-- (2) First page of a region's operational laboratories:
-- GET /v1/laboratories?region_id=…&status=operational&page_size=50 (list_region_ids.txt:
-- regions with at least a page of them).
local common = dofile(os.getenv("BENCH_WRK_DIR") .. "/common.lua")
setup = common.setup

local regions

function init(args)
  common.seed()
  regions = common.lines("list_region_ids.txt")
end

function request()
  return wrk.format("GET", "/v1/laboratories?region_id=" .. common.pick(regions)
    .. "&status=operational&page_size=50")
end
