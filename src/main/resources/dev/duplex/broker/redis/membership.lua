-- Enters or exits this node's entry for a name in a room's presence and tells whether that changed
-- the name's membership on every node (first node in, last node out), in one step, so each join
-- and each leave is announced once however many nodes it happens on.
-- KEYS[1] the room's presence. ARGV[1] 'enter' or 'exit', ARGV[2] node, ARGV[3] name, ARGV[4] now;
-- enter only: ARGV[5] the entry's expiry, ARGV[6] how long the key outlives its last refresh (ms).
-- Returns {1 if the membership changed, live entries...}.
local prefix = ARGV[3] .. '\n'
local entry = prefix .. ARGV[2]
local entering = ARGV[1] == 'enter'
if not entering then redis.call('ZREM', KEYS[1], entry) end
local result = {1}
for _, e in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ARGV[4], '+inf')) do
  if string.sub(e, 1, #prefix) == prefix then result[1] = 0 end
  if e ~= entry then table.insert(result, e) end
end
if entering then
  redis.call('ZADD', KEYS[1], ARGV[5], entry)
  redis.call('PEXPIRE', KEYS[1], ARGV[6])
  table.insert(result, entry)
end
return result
