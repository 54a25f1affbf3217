-- wrk script for tools/soak.sh: many concurrent sessions, each a real cookie jar.
--
-- wrk's Lua API does not say which connection a response arrived on, so the jar is per thread and
-- holds `sessions_per_thread` sessions (default 256; `wrk ... -- N JARFILE`): request() visits them
-- round robin, sending each one's cookie back; a slot still empty sends no cookie, so the site
-- creates a session and its Set-Cookie fills the next empty slot. After the first round every
-- request carries a live session cookie: the run measures steady-state updates of a bounded set of
-- sessions (memory must then stay flat), plus a few reads of /about and /session.json.
--
-- JARFILE (optional): the first cookie of each slot is appended to JARFILE.<thread>, and a later run
-- given the same JARFILE starts with those cookies. tools/soak.sh's warm-up creates the sessions,
-- the measured run re-uses them (it then sends no request without a cookie).
--
-- done() prints one machine-readable line for tools/soak.sh:
--   SOAK requests=N errors_connect=.. errors_read=.. errors_write=.. errors_status=.. errors_timeout=..
--        p50_us=.. p99_us=.. mean_us=.. max_us=.. cookieless=..

local threads = {}

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

local jar_out = nil     -- file the first cookie of each slot is appended to

local jar = {}          -- slot -> "sessionid=...; testcookie..." value to send
local known = {}        -- session cookie value -> slot
local slots = 256
local next_fill = 1     -- slot to fill with the next new session
local filled = 0        -- slots holding a cookie
local counter = 0
cookieless = 0          -- requests sent without a session cookie (global: done() reads it)
local paths = { "/", "/", "/", "/", "/", "/", "/", "/about", "/", "/session.json" }

function init(args)
  if args[1] then slots = tonumber(args[1]) end
  if args[2] then
    local name = args[2] .. "." .. id
    local existing = io.open(name, "r")
    if existing then
      for line in existing:lines() do
        local slot, value = line:match("^(%d+) (.+)$")
        slot = tonumber(slot)
        if slot and slot <= slots then
          if jar[slot] == nil then filled = filled + 1 end
          jar[slot] = "sessionid=" .. value
          known[value] = slot
          next_fill = (slot % slots) + 1
        end
      end
      existing:close()
    end
    jar_out = io.open(name, "a")
  end
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
  if value == nil then return end
  -- A value seen before: nothing to do once every slot is full. Before that it fills an empty slot
  -- too: a cookie store gives every new session of the same second the same cookie value.
  if known[value] ~= nil and filled >= slots then return end
  -- A session not seen yet: it takes the next slot (the slot's previous session, if any, is
  -- simply no longer visited; after the first round this does not happen).
  -- Empty slots first (a cookie store's changing values must not push out the sessions made so
  -- far), then round robin.
  local slot = next_fill
  for _ = 1, slots do
    if jar[slot] == nil then break end
    slot = (slot % slots) + 1
  end
  if jar[slot] ~= nil then slot = next_fill end
  next_fill = (slot % slots) + 1
  local old = jar[slot]
  if old ~= nil then
    known[old:sub(#"sessionid=" + 1)] = nil
  elseif jar_out ~= nil then
    jar_out:write(slot, " ", value, "\n")
    jar_out:flush()
  end
  if jar[slot] == nil then filled = filled + 1 end
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
