-- Appends a message to a room's log and publishes it on the bus with the id of the entry before
-- it, in one step, so the bus carries every room in log order.
-- KEYS[1] the room's stream, KEYS[2] the id of the last entry trimmed from it.
-- ARGV[1] entries kept, ARGV[2] from, ARGV[3] text, ARGV[4] ts (epoch millis), ARGV[5] room,
-- ARGV[6] the bus channel. Returns the new entry's id.
local excess = redis.call('XLEN', KEYS[1]) + 1 - tonumber(ARGV[1])
if excess > 0 then
  local dropped = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', excess)
  redis.call('SET', KEYS[2], dropped[#dropped][1])
end
local last = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
local prev = '0-0'
if last[1] then prev = last[1][1] end
local id = redis.call('XADD', KEYS[1], 'MAXLEN', ARGV[1], '*', 'f', ARGV[2], 'x', ARGV[3], 't', ARGV[4])
redis.call('PUBLISH', ARGV[6], 'M\n' .. ARGV[5] .. '\n' .. prev .. '\n' .. id .. '\n' .. ARGV[4] .. '\n' .. ARGV[2] .. '\n' .. ARGV[3])
return id
