-- Shared by the bench's wrk scripts: thread numbering, reading a file of lines, and the result line
-- (`BENCH-RESULT {json}`) that bench/harness.py reads. Loaded with dofile() from the scripts beside it.
local M = {}

M.threads = {}
local counter = 0

function M.setup(thread)
   thread:set("thread_number", counter)
   counter = counter + 1
   table.insert(M.threads, thread)
end

function M.read_lines(path)
   local lines = {}
   local file = assert(io.open(path, "r"))
   for line in file:lines() do
      if line ~= "" then table.insert(lines, line) end
   end
   file:close()
   assert(#lines > 0, "empty file: " .. path)
   return lines
end

-- done(): requests, duration, p50/p99 (microseconds), socket errors and non-2xx/3xx answers, and the
-- answers by status counted by the threads (global `statuses` table, in scripts that count them).
function M.done(summary, latency, requests)
   local statuses = {}
   for _, thread in ipairs(M.threads) do
      local counted = thread:get("statuses")
      if counted then
         for status, n in pairs(counted) do
            statuses[tostring(status)] = (statuses[tostring(status)] or 0) + n
         end
      end
   end
   local parts = {}
   for status, n in pairs(statuses) do table.insert(parts, string.format('"%s": %d', status, n)) end
   local e = summary.errors
   io.write(string.format(
      'BENCH-RESULT {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, '
      .. '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, '
      .. '"statuses": {%s}}\n',
      summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
      e.connect, e.read, e.write, e.status, e.timeout, table.concat(parts, ", ")))
end

return M
