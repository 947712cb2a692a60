-- wrk script: POST batches of BATCH (default 100) view events for random users and items of the
-- generated shop. Needs MERX_API_KEY in the environment (the server's key).
local users = tonumber(os.getenv("USERS") or "20000")
local items = tonumber(os.getenv("ITEMS") or "10000")
local batch = tonumber(os.getenv("BATCH") or "100")
local key = os.getenv("MERX_API_KEY") or ""
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
end

function init(args)
  math.randomseed(2000 + id)
end

function request()
  local parts = {}
  for i = 1, batch do
    parts[i] = string.format('{"user":"u%d","item":"i%d","kind":"view"}', math.random(0, users - 1), math.random(0, items - 1))
  end
  local body = '{"events":[' .. table.concat(parts, ",") .. ']}'
  return wrk.format("POST", "/api/events", { ["Content-Type"] = "application/json", ["X-Api-Key"] = key }, body)
end
