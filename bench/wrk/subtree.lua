-- (5b) A country's laboratories in its whole region subtree, first page:
-- GET /v1/laboratories?region_id=<country>&include_subregions=true (country_ids.txt).
local common = dofile(os.getenv("BENCH_WRK_DIR") .. "/common.lua")
setup = common.setup

init, request = common.per_country(function(id)
  return "/v1/laboratories?region_id=" .. id .. "&include_subregions=true"
end)
