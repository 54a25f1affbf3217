-- Appended to sessions.lua by tests/soak/cluster_failover.sh: counts the answers per second (2xx
-- and not), so that the failover window can be told from the rest of the run, and paces each
-- connection (`wrk ... -- N JARFILE PACE_MS`): a pause of PACE_MS between its requests keeps the
-- site and the cluster from taking both cores of a CI machine that runs other tests meanwhile.
--
-- done() prints, after sessions.lua's SOAK line, one line:
--   TIMELINE <epoch second>:<2xx>:<other> ...   (the seconds in which answers arrived, in order)

local pace_ms = 0
local base_init = init
function init(args)
  base_init(args)
  if args[3] then pace_ms = tonumber(args[3]) end
end

function delay()
  return pace_ms
end

ok_by_second = {}   -- globals: done() reads them from each thread
bad_by_second = {}
local base_response = response
function response(status, headers, body)
  local second = os.time()
  if status >= 200 and status < 300 then
    ok_by_second[second] = (ok_by_second[second] or 0) + 1
  else
    bad_by_second[second] = (bad_by_second[second] or 0) + 1
  end
  base_response(status, headers, body)
end

local base_done = done
function done(summary, latency, requests)
  base_done(summary, latency, requests)
  local ok, bad, seen, seconds = {}, {}, {}, {}
  local function add(into, from)
    for second, n in pairs(from or {}) do
      if not seen[second] then
        seen[second] = true
        table.insert(seconds, second)
      end
      into[second] = (into[second] or 0) + n
    end
  end
  for _, thread in ipairs(threads) do
    add(ok, thread:get("ok_by_second"))
    add(bad, thread:get("bad_by_second"))
  end
  table.sort(seconds)
  local parts = {}
  for _, second in ipairs(seconds) do
    table.insert(parts, string.format("%d:%d:%d", second, ok[second] or 0, bad[second] or 0))
  end
  io.write("TIMELINE " .. table.concat(parts, " ") .. "\n")
end
