-- (2b) A deep page: replays list URLs whose page_token was reached by following
-- next_page_token about 20 pages in (deep_urls.txt, prepared by run.sh with curl and jq
-- while the service was up; tokens stay valid because they encode the last row's keys).
local common = dofile(os.getenv("BENCH_WRK_DIR") .. "/common.lua")
setup = common.setup

local urls

function init(args)
  common.seed()
  urls = common.lines("deep_urls.txt")
end

function request()
  return wrk.format("GET", common.pick(urls))
end
