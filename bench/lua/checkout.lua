-- POST /api/v1/orders as many residents, each request with its own bearer token (one resident's
-- basket is one order), read from a file of tokens (one a line) between lines `first` and `last`:
-- thread t of T takes tokens first+t, first+t+T, … and starts over at the end of its share (a resident
-- whose basket is already ordered is then told so: such answers are counted apart, by status).
-- The pickup slot rotates over the ids given. Answers are counted by status (201 = an order).
--   wrk -s checkout.lua <url>/api/v1/orders -- <tokens file> <first> <last> <slot ids, comma-separated> <label> <threads>
local here = debug.getinfo(1, "S").source:sub(2):match("(.*/)") or "./"
local common = dofile(here .. "common.lua")

setup = common.setup
done = common.done

local tokens, slots, label
local first, last, step, index, sent
statuses = {}

function init(args)
   local all = common.read_lines(args[1])
   first, last = tonumber(args[2]), tonumber(args[3])
   tokens = {}
   for i = first, math.min(last, #all) do table.insert(tokens, all[i]) end
   slots = {}
   for id in string.gmatch(args[4], "%d+") do table.insert(slots, id) end
   label = args[5] or "bench"
   step = tonumber(args[6])
   index = thread_number + 1
   sent = 0
end

function request()
   if index > #tokens then index = (index - 1) % step + 1 end
   local token = tokens[index]
   index = index + step
   sent = sent + 1
   local slot = slots[sent % #slots + 1]
   local body = '{"pickup_slot_id": ' .. slot .. ', "payment_method": "at_pickup"}'
   return wrk.format("POST", nil, {
      ["Authorization"] = "Bearer " .. token,
      ["Content-Type"] = "application/json",
      ["Idempotency-Key"] = label .. "-" .. thread_number .. "-" .. sent,
   }, body)
end

function response(status, headers, body)
   statuses[status] = (statuses[status] or 0) + 1
end
