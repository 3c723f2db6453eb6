-- wrk script for bench/wrk_driver.py: send each request of a list exactly once, then stop.
--
-- Arguments (after "--"; args[0] is the URL): a file prefix; thread k reads "<prefix>.<k>", its share of the list
-- (requests k, k+T, k+2T, ... written by the driver as "<byte length>\n<raw HTTP request>" records).
-- Each request() hands out the next request of the thread's share; once the share is handed out,
-- request() returns "" (wrk writes nothing and the connection idles: no extra request). When every
-- request of the share has its response, the thread prints "wrk_driver: thread done" on stderr and
-- stops its event loop (wrk.thread:stop()); the driver interrupts wrk (SIGINT) once all threads are
-- done, since wrk's main thread otherwise sleeps out -d. done() prints one JSON line "WRK_DRIVER {...}".
--
-- wrk calls request() once in the main thread before the first thread starts, to check the request
-- parses (script_verify_request); that call must not consume a request, so request() tells it apart
-- by the calling OS thread (pthread_self through LuaJIT's ffi). Clocks: CLOCK_REALTIME, microseconds.

local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } wrk_driver_timespec;
int clock_gettime(int clk_id, wrk_driver_timespec *tp);
unsigned long pthread_self(void);
]]
local ts = ffi.new("wrk_driver_timespec")
local function now_us()
  ffi.C.clock_gettime(0, ts)
  return tonumber(ts.tv_sec) * 1000000 + math.floor(tonumber(ts.tv_nsec) / 1000)
end

-- setup() and done() run in the main Lua state.
local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

-- Everything below runs in each thread's own Lua state.
local mine, next_index, received = {}, 1, 0
local statuses, last_us = {}, {}
local setup_thread = nil

function init(args)
  setup_thread = tostring(ffi.C.pthread_self())  -- init() runs in the main thread, like the verify call
  local f = assert(io.open(args[1] .. "." .. id, "rb"))
  local data = f:read("*a")
  f:close()
  local pos = 1
  while pos <= #data do
    local nl = assert(data:find("\n", pos, true), "bad record")
    local len = tonumber(data:sub(pos, nl - 1))
    mine[#mine + 1] = data:sub(nl + 1, nl + len)
    pos = nl + 1 + len
  end
  share = #mine
  sent = 0
end

function request()
  if tostring(ffi.C.pthread_self()) == setup_thread then
    return mine[1] or "GET / HTTP/1.1\r\nHost: x\r\n\r\n"  -- wrk's parse check: not sent
  end
  local r = mine[next_index]
  if r == nil then
    return ""
  end
  if next_index == 1 then
    first_request_us = now_us()
  end
  mine[next_index] = nil
  next_index = next_index + 1
  sent = sent + 1
  return r
end

function response(status, headers, body)
  local t = now_us()
  received = received + 1
  statuses[status] = (statuses[status] or 0) + 1
  last_us[status] = t
  -- globals, for done() to read through thread:get()
  counts, last_at_us, answered = statuses, last_us, received
  if received >= share then
    io.stderr:write("wrk_driver: thread done\n")
    wrk.thread:stop()
  end
end

local function json(value)
  if type(value) == "table" then
    local parts, is_list = {}, #value > 0
    if is_list then
      for _, v in ipairs(value) do parts[#parts + 1] = json(v) end
      return "[" .. table.concat(parts, ",") .. "]"
    end
    for k, v in pairs(value) do parts[#parts + 1] = string.format("%q", tostring(k)) .. ":" .. json(v) end
    return "{" .. table.concat(parts, ",") .. "}"
  end
  if type(value) == "number" then return string.format("%d", math.floor(value)) end
  return string.format("%q", tostring(value))
end

function done(summary, latency, requests)
  local per_thread = {}
  for _, t in ipairs(threads) do
    per_thread[#per_thread + 1] = {
      share = t:get("share") or 0, sent = t:get("sent") or 0, answered = t:get("answered") or 0,
      statuses = t:get("counts") or {}, last_at_us = t:get("last_at_us") or {},
      first_request_us = t:get("first_request_us") or 0,
    }
  end
  io.write("WRK_DRIVER " .. json({
    duration_us = summary.duration, requests = summary.requests, errors = summary.errors,
    p50_us = latency:percentile(50), p99_us = latency:percentile(99), max_us = latency.max,
    threads = per_thread,
  }) .. "\n")
end
