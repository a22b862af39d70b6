-- A chair entered the right PIN: put their precinct in the priority line.
-- A precinct already in line, or one whose chair hung up a short while ago,
-- keeps its earlier place.
--
-- KEYS: 1 line, 2 waiting, 3 kept place, 4 call, 5 caller (may be a dummy when withheld)
-- ARGV: 1 now, 2 precinct, 3 new score, 4 waiting entry (JSON), 5 number ("" when withheld)
local score = redis.call('ZSCORE', KEYS[1], ARGV[2])
if not score then score = redis.call('GET', KEYS[3]) end
if not score then score = ARGV[3] end
redis.call('ZADD', KEYS[1], score, ARGV[2])
redis.call('HSET', KEYS[2], ARGV[2], ARGV[4])
redis.call('DEL', KEYS[3])
redis.call('HSET', KEYS[4], 'precinct', ARGV[2], 'verified_at', ARGV[1], 'stage', 'waiting')
if ARGV[5] ~= '' then
  redis.call('HSET', KEYS[5], 'verified_at', ARGV[1])
end
return redis.call('ZCOUNT', KEYS[1], '-inf', '(' .. score) + 1
