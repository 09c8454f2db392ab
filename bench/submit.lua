-- POST /r/{token}: one rating per token, as the hydrated page sends it. Each
-- thread owns a slice of the tokens and stops when its slice is used up.
-- RATE (ratings/s over all connections) makes the offered load fixed: each
-- thread sends on a schedule of RATE/THREADS requests a second, evenly spaced
-- (a wall clock through LuaJIT's FFI), whichever of its connections is free;
-- a thread that fell behind sends at once until it is back on schedule. (Until
-- this, each connection waited CONNECTIONS/RATE s after each answer, so the
-- load offered was below RATE by the answers' own time: "300/s" offered ≈ 255/s.)
package.path = "bench/?.lua;" .. package.path
local c = require("common")
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } haocha_timespec;
int clock_gettime(int clk_id, haocha_timespec *tp);
]]
local ts = ffi.new("haocha_timespec")
local function now_ms()
  ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end
setup = c.setup
local tokens, i, interval, next_at

function init(args)
  tokens = c.load_tokens(id, tonumber(os.getenv("THREADS") or "1"))
  i = 0
  local rate = tonumber(os.getenv("RATE") or "0")
  local threads = tonumber(os.getenv("THREADS") or "1")
  interval = rate > 0 and (threads * 1000 / rate) or 0
end

function delay()
  if interval == 0 then return 0 end
  local t = now_ms()
  if not next_at or next_at < t - 1000 then next_at = t end -- start, or more than 1 s behind: no burst
  local wait = next_at - t
  next_at = next_at + interval
  return wait > 0 and wait or 0
end

function request()
  i = i + 1
  if i > #tokens then
    wrk.thread:stop()
    i = #tokens
  end
  return wrk.format("POST", "/r/" .. tokens[i], {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Accept"] = "application/json",
  }, "level=dissatisfied&tags=efficiency&comment=%E6%8E%92%E9%98%9F%E5%A4%AA%E4%B9%85&staff_level=satisfied")
end

done = c.done
