-- Shared by the wrk scripts: tokens from a file, one slice per thread, and a
-- JSON summary line that bench/report.py reads.
local M = {}
local threads = {}
local counter = 0

function M.setup(thread)
  counter = counter + 1
  thread:set("id", counter)
  table.insert(threads, thread)
end

function M.load_tokens(id, nthreads)
  local tokens = {}
  local path = os.getenv("TOKENS")
  if not path then return tokens end
  local i = 0
  for line in io.lines(path) do
    if i % nthreads == (id - 1) then table.insert(tokens, line) end
    i = i + 1
  end
  return tokens
end

function M.done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'JSON {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"max_us":%d,"socket_errors":%d,"non_2xx":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max,
    e.connect + e.read + e.write + e.timeout, e.status))
end

return M
