-- GET /r/{token}: the page a phone opens after scanning (tokens are not used up).
package.path = "bench/?.lua;" .. package.path
local c = require("common")
setup = c.setup
local tokens, i

function init(args)
  tokens = c.load_tokens(id, tonumber(os.getenv("THREADS") or "1"))
  i = 0
end

function request()
  i = i % #tokens + 1
  return wrk.format("GET", "/r/" .. tokens[i])
end

done = c.done
