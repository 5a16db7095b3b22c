-- (4b) PATCH /v1/laboratories/{id} guarded by If-Match.
--
-- Each thread owns its own slice of the sampled laboratories (lab_ids.txt split by thread,
-- at most BENCH_PATCH_IDS per thread, default 256), so no two threads touch one row and a
-- 412 means a real fault. It walks its slice round-robin, with at most one request per
-- laboratory in flight. The current ETag of each laboratory is learned in the `response`
-- hook: the body's first member is the laboratory id, its last is `version`, and the ETag
-- header is the tag of that version (the highest version seen wins, so a late answer cannot
-- bring back an older tag). A laboratory whose ETag is not known yet is read with a GET
-- first. One whose answer never came (a wrk timeout) or carried no id (an error) is read
-- afresh once wrk's timeout (BENCH_TIMEOUT_S) has passed. So the first pass over the slice
-- is GETs and almost everything after it PATCHes; the BENCH_NOTE line gives both counts.
local common = dofile(os.getenv("BENCH_WRK_DIR") .. "/common.lua")
setup = common.setup

local ids = {}
local versions = {}   -- id -> highest version seen
local etags = {}      -- id -> ETag of that version
local busy = {}       -- id -> os.time() when its request went out; nil when none is in flight
local cursor = 0
local stale_after = tonumber(os.getenv("BENCH_TIMEOUT_S") or "10") + 1
statuses, gets, patches = {}, 0, 0

function init(args)
  common.seed()
  local all = common.lines("lab_ids.txt")
  local threads = tonumber(os.getenv("BENCH_THREADS") or "1")
  local limit = tonumber(os.getenv("BENCH_PATCH_IDS") or "256")
  for i, id in ipairs(all) do
    if (i - 1) % threads == thread_number - 1 and #ids < limit then ids[#ids + 1] = id end
  end
  assert(#ids > 0, "no laboratory ids for thread " .. thread_number)
end

local function get(id)
  gets = gets + 1
  return wrk.format("GET", "/v1/laboratories/" .. id)
end

function request()
  local now = os.time()
  for _ = 1, #ids do
    cursor = cursor % #ids + 1
    local id = ids[cursor]
    local since = busy[id]
    if since and now - since > stale_after then
      -- Its answer is lost: forget the tag and read the laboratory again.
      since, etags[id] = nil, nil
    end
    if not since then
      busy[id] = now
      if not etags[id] then return get(id) end
      patches = patches + 1
      local body = string.format('{"capacity_per_day":%d}', math.random(100, 50000))
      return wrk.format("PATCH", "/v1/laboratories/" .. id, common.headers({
        ["Content-Type"] = "application/merge-patch+json",
        ["If-Match"] = etags[id],
      }), body)
    end
  end
  -- Every laboratory of the slice has a request in flight (more connections than ids).
  return get(ids[cursor])
end

function response(status, headers, body)
  common.count_status(status)
  if not body then return end
  local id = body:match('^%s*{%s*"id"%s*:%s*"([%x%-]+)"')
  local version = tonumber(body:match('"version"%s*:%s*(%d+)%s*}%s*$') or "")
  local etag = headers["etag"] or headers["ETag"] or headers["Etag"]
  if id and busy[id] ~= nil then busy[id] = nil end
  if id and version and etag and (versions[id] == nil or version >= versions[id]) then
    versions[id], etags[id] = version, etag
  end
end

function done(summary, latency, requests)
  common.report({ "gets", "patches" })
end
