-- A call proved its chair (a PIN, a backup code or a call back): put it in the priority
-- line. Every call verified for one precinct shares the precinct's place: a second call
-- for a precinct already waiting joins alongside the first (both are served, neither is
-- dropped), and a precinct whose last call hung up a short while ago gets its place back.
--
-- The call's first proof is counted among the night's figures (store/night_figures.py),
-- for the hotline number it dialled, under this minute; a call that comes back into the
-- line (from the keypad) is not counted again.
--
-- KEYS: 1 line, 2 waiting, 3 kept place, 4 call, 5 caller (a dummy when withheld),
--       6 precinct places, 7 precinct calls, 8 this hour's figures
-- ARGV: 1 now, 2 precinct, 3 new score, 4 waiting entry (JSON), 5 number ("" when withheld),
--       6 CallSid, 7 how long the caller's hash is kept (s), 8 the figure's field
--       ("<minute>:verified@<hotline number>"; "" when the number dialled is not known),
--       9 figures ttl s
-- Returns the call's 1-based position in the line.
local precinct, sid = ARGV[2], ARGV[6]
local score = redis.call('HGET', KEYS[6], precinct) or redis.call('GET', KEYS[3]) or ARGV[3]
if not redis.call('ZSCORE', KEYS[1], sid) then
  redis.call('HINCRBY', KEYS[7], precinct, 1)
end
if ARGV[8] ~= '' and redis.call('HEXISTS', KEYS[4], 'verified_at') == 0 then
  redis.call('HINCRBY', KEYS[8], ARGV[8], 1)
  redis.call('EXPIRE', KEYS[8], tonumber(ARGV[9]))
end
redis.call('ZADD', KEYS[1], score, sid)
redis.call('HSET', KEYS[2], sid, ARGV[4])
redis.call('HSET', KEYS[6], precinct, score)
redis.call('DEL', KEYS[3])
redis.call('HSET', KEYS[4], 'precinct', precinct, 'verified_at', ARGV[1], 'stage', 'waiting')
if ARGV[5] ~= '' then
  redis.call('HSET', KEYS[5], 'verified_at', ARGV[1])
  redis.call('EXPIRE', KEYS[5], tonumber(ARGV[7]))
end
return redis.call('ZRANK', KEYS[1], sid) + 1
