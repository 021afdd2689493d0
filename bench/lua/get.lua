-- GET the paths listed in a file (one a line), each wrk thread walking the list from its own place:
-- one path for a single page, or a sequence drawn with a Zipf law by bench/harness.py for pages
-- visited with a popularity skew.  wrk -s get.lua <url> -- <paths file> [start]
-- `start` (0 to 1, default 0): where in the list the walk begins, as a fraction of its length (a warm-up
-- on another stretch of the draws than the measured run's).
local here = debug.getinfo(1, "S").source:sub(2):match("(.*/)") or "./"
local common = dofile(here .. "common.lua")

setup = common.setup
done = common.done

local paths
local position

function init(args)
   paths = common.read_lines(args[1])
   local start = math.floor((tonumber(args[2]) or 0) * #paths)
   position = (start + thread_number * 50021) % #paths  -- threads start far apart
end

function request()
   position = position % #paths + 1
   return wrk.format("GET", paths[position])
end
