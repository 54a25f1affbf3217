-- wrk script for tools/soak.sh: many concurrent sessions, each a real cookie jar.
--
-- wrk's Lua API does not say which connection a response arrived on, so the jar is per thread and
-- holds `sessions_per_thread` sessions (default 256; wrk ... -- N to change): request() visits them
-- round robin, sending each one's cookies back; a slot still empty sends no cookie, so the site
-- creates a session and its Set-Cookie fills the next empty slot. After the first round every
-- request carries a live session cookie: the run measures steady-state updates of a bounded set of
-- sessions (memory must then stay flat), plus a few reads of /about and /session.json.
--
-- done() prints one machine-readable line for tools/soak.sh:
--   SOAK requests=N errors_connect=.. errors_read=.. errors_write=.. errors_status=.. errors_timeout=..
--        p50_us=.. p99_us=.. mean_us=.. max_us=.. cookieless=..

local threads = {}

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

local jar = {}          -- slot -> "sessionid=...; testcookie..." value to send
local known = {}        -- session cookie value -> slot
local slots = 256
local next_fill = 1     -- slot to fill with the next new session
local counter = 0
cookieless = 0          -- requests sent without a session cookie (global: done() reads it)
local paths = { "/", "/", "/", "/", "/", "/", "/", "/about", "/", "/session.json" }

function init(args)
  if args[1] then slots = tonumber(args[1]) end
end

function request()
  counter = counter + 1
  local slot = (counter % slots) + 1
  local path = paths[(counter % #paths) + 1]
  local cookie = jar[slot]
  if cookie == nil then
    cookieless = cookieless + 1
    return wrk.format("GET", "/", {})
  end
  return wrk.format("GET", path, { ["Cookie"] = cookie })
end

-- The session cookie's value from a Set-Cookie header (wrk keeps one value per header name; the
-- routes used here set at most one cookie, the session's). A server store's key stays the same
-- from response to response; a cookie store's value (the data itself) changes every time, and any
-- earlier value is still a valid session, so it simply takes the next slot.
local function session_value(set_cookie)
  if set_cookie == nil then return nil end
  local value = set_cookie:match("^sessionid=([^;]*)")
  if value == nil or value == "" or value == '""' then return nil end
  return value
end

function response(status, headers, body)
  local value = session_value(headers["Set-Cookie"] or headers["set-cookie"])
  if value == nil or known[value] ~= nil then return end
  -- A session not seen yet: it takes the next slot (the slot's previous session, if any, is
  -- simply no longer visited; after the first round this does not happen).
  local slot = next_fill
  next_fill = (next_fill % slots) + 1
  local old = jar[slot]
  if old ~= nil then known[old:sub(#"sessionid=" + 1)] = nil end
  jar[slot] = "sessionid=" .. value
  known[value] = slot
end

function done(summary, latency, requests)
  local cookieless_total = 0
  for _, thread in ipairs(threads) do
    cookieless_total = cookieless_total + (thread:get("cookieless") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    "SOAK requests=%d errors_connect=%d errors_read=%d errors_write=%d errors_status=%d errors_timeout=%d " ..
    "p50_us=%d p99_us=%d mean_us=%d max_us=%d cookieless=%d\n",
    summary.requests, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.mean, latency.max, cookieless_total))
end
