-- POST /api/v1/cases: a business system reporting completed cases.
package.path = "bench/?.lua;" .. package.path
local c = require("common")
setup = c.setup
local n = 0
local run = os.getenv("RUN") or "r"

function request()
  n = n + 1
  local body = string.format(
    '{"case_number":"B%s-%d-%d","item_code":"11210100MB0003-001","window_code":"W0%d","staff_number":"S100%d",' ..
    '"applicant_phone":"13800138000","completed_at":"' .. os.date("!%Y-%m-%dT%H:%M:%S+00:00", os.time() - 60) .. '"}',
    run, id, n, (n % 6) + 1, (n % 6) + 1)
  return wrk.format("POST", "/api/v1/cases", {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. os.getenv("KEY"),
  }, body)
end

done = c.done
