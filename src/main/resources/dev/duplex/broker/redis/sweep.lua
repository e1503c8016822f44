-- Removes a room's expired presence entries (their node stopped refreshing them) and returns the
-- names that thereby left the room, so exactly one node announces each of them.
-- KEYS[1] the room's presence. ARGV[1] now.
-- Returns {count of names gone, names..., live entries...}.
local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if #expired == 0 then return {0} end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
local live = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ARGV[1], '+inf')
local liveNames = {}
for _, e in ipairs(live) do liveNames[string.match(e, '^(.*)\n[^\n]*$')] = true end
local gone = {}
local seen = {}
for _, e in ipairs(expired) do
  local name = string.match(e, '^(.*)\n[^\n]*$')
  if name and not liveNames[name] and not seen[name] then
    seen[name] = true
    table.insert(gone, name)
  end
end
local result = {#gone}
for _, n in ipairs(gone) do table.insert(result, n) end
for _, e in ipairs(live) do table.insert(result, e) end
return result
