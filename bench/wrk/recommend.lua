-- wrk script: GET recommendations for a random user of the generated shop (u0 … u{USERS-1}).
-- USERS (default 20000) and N (default 10) from the environment; DELAY_MS > 0 makes each
-- connection wait that long between requests (fixed rate = connections × 1000 / DELAY_MS).
local users = tonumber(os.getenv("USERS") or "20000")
local n = os.getenv("N") or "10"
local delay_ms = tonumber(os.getenv("DELAY_MS") or "0")
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
  return wrk.format("GET", "/api/users/u" .. math.random(0, users - 1) .. "/recommendations?n=" .. n, headers)
end

if delay_ms > 0 then
  function delay() return delay_ms end
end
