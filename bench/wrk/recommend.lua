-- wrk script: GET recommendations for a random user of the generated shop (u0 … u{USERS-1}).
-- USERS (default 20000) and N (default 10) from the environment; DELAY_MS > 0 makes each
-- connection wait that long between requests (fixed rate = connections × 1000 / DELAY_MS). With ARRIVALS=poisson the
-- wait is drawn from an exponential distribution of mean DELAY_MS (whole milliseconds), so the connections do not
-- fall into step: with a constant wait, the answers that one stall delays together go out together again, and the
-- rate arrives in bursts of up to one request per connection.
-- Returning customers: with HOT_USERS = H and HOT_SHARE = S (0..1), a share S of the requests comes from the
-- first H users (they return, so their histories stay cached) and the rest from all USERS, as before.
local users = tonumber(os.getenv("USERS") or "20000")
local n = os.getenv("N") or "10"
local delay_ms = tonumber(os.getenv("DELAY_MS") or "0")
local hot_users = tonumber(os.getenv("HOT_USERS") or "0")
local hot_share = tonumber(os.getenv("HOT_SHARE") or "0")
local poisson = os.getenv("ARRIVALS") == "poisson"
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
end

function init(args)
  math.randomseed(1000 + id)
end

-- With MERX_API_KEY set, every request carries it (behind a load balancer a read is no longer from loopback).
local key = os.getenv("MERX_API_KEY")
local headers = key and { ["X-Api-Key"] = key } or nil

function request()
  local u
  if hot_users > 0 and math.random() < hot_share then u = math.random(0, hot_users - 1) else u = math.random(0, users - 1) end
  return wrk.format("GET", "/api/users/u" .. u .. "/recommendations?n=" .. n, headers)
end

if delay_ms > 0 then
  if poisson then
    function delay() return math.floor(-math.log(1 - math.random()) * delay_ms + 0.5) end
  else
    function delay() return delay_ms end
  end
end
