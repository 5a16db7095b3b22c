-- (5) GET /v1/regions/{id}/descendants of a country (country_ids.txt), first page.
local common = dofile(os.getenv("BENCH_WRK_DIR") .. "/common.lua")
setup = common.setup

local countries

function init(args)
  common.seed()
  countries = common.lines("country_ids.txt")
end

function request()
  return wrk.format("GET", "/v1/regions/" .. common.pick(countries) .. "/descendants")
end
