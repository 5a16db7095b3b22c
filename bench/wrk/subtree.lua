-- (5b) A country's laboratories in its whole region subtree, first page:
-- GET /v1/laboratories?region_id=<country>&include_subregions=true (country_ids.txt).
local common = dofile(os.getenv("BENCH_WRK_DIR") .. "/common.lua")
setup = common.setup

local countries

function init(args)
  common.seed()
  countries = common.lines("country_ids.txt")
end

function request()
  return wrk.format("GET", "/v1/laboratories?region_id=" .. common.pick(countries)
    .. "&include_subregions=true")
end
