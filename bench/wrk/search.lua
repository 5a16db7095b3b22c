-- (3) Text search: GET /v1/laboratories?q=… with words taken from real laboratory names
-- (search_terms.txt, raw UTF-8; percent-encoded here).
local common = dofile(os.getenv("BENCH_WRK_DIR") .. "/common.lua")
setup = common.setup

local terms

function init(args)
  common.seed()
  terms = common.lines("search_terms.txt")
  for i, term in ipairs(terms) do terms[i] = common.urlencode(term) end
end

function request()
  return wrk.format("GET", "/v1/laboratories?q=" .. common.pick(terms))
end
