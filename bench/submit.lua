-- POST /r/{token}: one rating per token, as the hydrated page sends it. Each
-- thread owns a slice of the tokens and stops when its slice is used up.
-- RATE (ratings/s over all connections) makes the offered load fixed: each
-- connection waits CONNECTIONS/RATE seconds between its requests.
package.path = "bench/?.lua;" .. package.path
local c = require("common")
setup = c.setup
local tokens, i, interval

function init(args)
  tokens = c.load_tokens(id, tonumber(os.getenv("THREADS") or "1"))
  i = 0
  local rate = tonumber(os.getenv("RATE") or "0")
  local conns = tonumber(os.getenv("CONNECTIONS") or "1")
  interval = rate > 0 and (conns * 1000 / rate) or 0
end

function delay()
  return interval
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
