-- Helpers shared by the scenario scripts.
--
-- Every script starts with
--   local common = dofile(os.getenv("BENCH_WRK_DIR") .. "/common.lua")
-- and reads its sample files from BENCH_DATA_DIR (written by bench/run.sh before the run).
-- wrk runs one Lua state per thread plus one for setup/done; `setup` numbers the threads
-- (global `thread_number`, 1-based) so each can seed its own random stream and build
-- unique values, and `done` sums the per-thread tallies (`statuses` and any counters a
-- script names) into one "BENCH_NOTE" line that run.sh copies into the table.

local common = {}

-- BENCH_KEY (an API key run.sh made with `labnet keys create`) goes on every request as
-- `Authorization: Bearer`, so each one pays for the credential check as a client's would.
-- wrk's default headers cover the requests a script formats without headers of its own;
-- common.headers adds it to those that have some.
local key = os.getenv("BENCH_KEY")
if key and key ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. key
end

function common.headers(extra)
  local out = {}
  for name, value in pairs(wrk.headers) do out[name] = value end
  for name, value in pairs(extra or {}) do out[name] = value end
  return out
end

local threads = {}

function common.setup(thread)
  threads[#threads + 1] = thread
  thread:set("thread_number", #threads)
end

-- A random stream per thread (os.time alone would give every thread the same one).
function common.seed()
  math.randomseed(os.time() * 1000 + (thread_number or 0) * 7919)
  for _ = 1, 10 do math.random() end
end

-- The non-empty lines of a sample file, trailing blanks removed.
function common.lines(name)
  local dir = os.getenv("BENCH_DATA_DIR")
  assert(dir, "BENCH_DATA_DIR is not set")
  local path = dir .. "/" .. name
  local file = assert(io.open(path, "r"))
  local out = {}
  for line in file:lines() do
    line = line:gsub("%s+$", "")
    if line ~= "" then out[#out + 1] = line end
  end
  file:close()
  assert(#out > 0, path .. " has no lines")
  return out
end

function common.pick(list)
  return list[math.random(#list)]
end

-- Percent-encodes everything but RFC 3986 unreserved characters, byte by byte, so UTF-8
-- text (Cyrillic names) goes out as %D0%BB... sequences.
function common.urlencode(text)
  return (text:gsub("[^%w%-%._~]", function(c)
    return string.format("%%%02X", string.byte(c))
  end))
end

-- Counts a response status in the thread's `statuses` table.
function common.count_status(status)
  statuses[status] = (statuses[status] or 0) + 1
end

-- Prints "BENCH_NOTE statuses 200=…,412=… name=…" summed over all threads. `names` lists
-- extra numeric globals of the thread states to sum.
function common.report(names)
  local totals, counters = {}, {}
  for _, thread in ipairs(threads) do
    local per_thread = thread:get("statuses") or {}
    for status, n in pairs(per_thread) do
      totals[status] = (totals[status] or 0) + n
    end
    for _, name in ipairs(names or {}) do
      counters[name] = (counters[name] or 0) + (thread:get(name) or 0)
    end
  end
  local keys = {}
  for status in pairs(totals) do keys[#keys + 1] = status end
  table.sort(keys)
  local parts = {}
  for _, status in ipairs(keys) do
    parts[#parts + 1] = status .. "=" .. totals[status]
  end
  local line = "BENCH_NOTE statuses " .. table.concat(parts, ",")
  for _, name in ipairs(names or {}) do
    line = line .. " " .. name .. "=" .. counters[name]
  end
  io.write(line .. "\n")
end

-- init and request of a scenario that GETs path_of(id) for a random country id
-- (country_ids.txt).
function common.per_country(path_of)
  local countries
  local function init(args)
    common.seed()
    countries = common.lines("country_ids.txt")
  end
  local function request()
    return wrk.format("GET", path_of(common.pick(countries)))
  end
  return init, request
end

return common
