-- Reads entries of a room's log together with the id of the last entry trimmed from it, so a trim
-- between two separate reads can neither hide a gap nor invent one.
-- KEYS[1] the room's stream, KEYS[2] the id of the last entry trimmed from it.
-- ARGV[1] from, ARGV[2] to (XRANGE bounds), ARGV[3] count. Returns {last trimmed id or '', entries}.
local dropped = redis.call('GET', KEYS[2]) or ''
return {dropped, redis.call('XRANGE', KEYS[1], ARGV[1], ARGV[2], 'COUNT', ARGV[3])}
