-- (6b) The laboratories in a box of one degree around a laboratory's place, first page:
-- GET /v1/laboratories?bbox=<west,south,east,north> (lab_points.txt).
local common = dofile(os.getenv("BENCH_WRK_DIR") .. "/common.lua")
setup = common.setup

local boxes = {}

function init(_)
  common.seed()
  for _, point in ipairs(common.lines("lab_points.txt")) do
    local lat, lon = point:match("^([^,]+),([^,]+)$")
    lat, lon = tonumber(lat), tonumber(lon)
    local west, east = math.max(lon - 0.5, -180), math.min(lon + 0.5, 180)
    local south, north = math.max(lat - 0.5, -90), math.min(lat + 0.5, 90)
    boxes[#boxes + 1] = string.format("%.4f,%.4f,%.4f,%.4f", west, south, east, north)
  end
end

function request()
  return wrk.format(nil, "/v1/laboratories?bbox=" .. common.pick(boxes))
end
