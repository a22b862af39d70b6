-- A keypad answer (or a call back's first request) arrives for one step of a call.
-- Each step's URL names it, and Twilio signs the URL, so a step is applied once and in
-- order: a request for a step the call has passed, or for a call that has ended, is a
-- replay and changes nothing.
--
-- KEYS: 1 call
-- ARGV: 1 the step the request answers
-- Returns "ok" (the call moves on to the next step), "stale", "ended" or "unknown".
if redis.call('EXISTS', KEYS[1]) == 0 then return 'unknown' end
if redis.call('HEXISTS', KEYS[1], 'ended_at') == 1 then return 'ended' end
local current = tonumber(redis.call('HGET', KEYS[1], 'step') or '0')
if tonumber(ARGV[1]) ~= current then return 'stale' end
redis.call('HSET', KEYS[1], 'step', current + 1)
return 'ok'
