-- wrk script: POST batches of BATCH (default 100) view events for random users and items of the
-- generated shop. Needs MERX_API_KEY in the environment (the server's key). With USER_FILE, user ids are
-- random lines of that file instead of "u<N>" (bench/scripts/pseudonymize-http.sh sends the shop's ids in
-- one run and their pseudonyms, which the server stores without hashing again, in the other).
local users = tonumber(os.getenv("USERS") or "20000")
local items = tonumber(os.getenv("ITEMS") or "10000")
local batch = tonumber(os.getenv("BATCH") or "100")
local key = os.getenv("MERX_API_KEY") or ""
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
end

local names = nil

function init(args)
  math.randomseed(2000 + id)
  local file = os.getenv("USER_FILE")
  if file then
    names = {}
    for line in io.lines(file) do names[#names + 1] = line end
  end
end

local function user()
  if names then return names[math.random(1, #names)] end
  return string.format("u%d", math.random(0, users - 1))
end

function request()
  local parts = {}
  for i = 1, batch do
    parts[i] = string.format('{"user":"%s","item":"i%d","kind":"view"}', user(), math.random(0, items - 1))
  end
  local body = '{"events":[' .. table.concat(parts, ",") .. ']}'
  return wrk.format("POST", "/api/events", { ["Content-Type"] = "application/json", ["X-Api-Key"] = key }, body)
end
