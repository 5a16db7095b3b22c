-- (6) The laboratories within 50 km of a laboratory's place, nearest first, first page:
-- GET /v1/laboratories?near=<latitude,longitude>&radius_km=50 (lab_points.txt).
local common = dofile(os.getenv("BENCH_WRK_DIR") .. "/common.lua")
setup = common.setup

local points

function init(_)
  common.seed()
  points = common.lines("lab_points.txt")
end

function request()
  return wrk.format(nil, "/v1/laboratories?near=" .. common.pick(points) .. "&radius_km=50")
end
