-- (5) GET /v1/regions/{id}/descendants of a country (country_ids.txt), first page.
local common = dofile(os.getenv("BENCH_WRK_DIR") .. "/common.lua")
setup = common.setup

init, request = common.per_country(function(id)
  return "/v1/regions/" .. id .. "/descendants"
end)
