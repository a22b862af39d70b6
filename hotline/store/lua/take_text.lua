-- The next text of a rotation, if the pace allows one now. Texts of one rotation leave
-- from one number at no more than one per `every` seconds on average, at most `burst`
-- together (a run that starts late catches up by that much, no more): the theoretical
-- time of the next text is kept, and moves on by `every` with each text taken. Atomic,
-- so two runs at once cannot both take the same slot.
--
-- KEYS: 1 rotation, 2 outbox, 3 texts
-- ARGV: 1 now, 2 every s, 3 burst
-- Returns {"send", precinct, phone, tries}, {"wait", when the next may go} or {"done"}.
local now = tonumber(ARGV[1])
local every = tonumber(ARGV[2])
local next_at = tonumber(redis.call('HGET', KEYS[1], 'next_text_at') or ARGV[1])
local allowed_at = next_at - (tonumber(ARGV[3]) - 1) * every
if redis.call('LLEN', KEYS[2]) == 0 then return {'done'} end
if now < allowed_at then return {'wait', tostring(allowed_at)} end
local precinct = redis.call('LPOP', KEYS[2])
redis.call('HSET', KEYS[1], 'next_text_at', tostring(math.max(next_at, now) + every))
local text = cjson.decode(redis.call('HGET', KEYS[3], precinct))
text.status = 'sending'
text.tries = (tonumber(text.tries) or 0) + 1
text.at = now
redis.call('HSET', KEYS[3], precinct, cjson.encode(text))
return {'send', precinct, text.phone, tostring(text.tries)}
