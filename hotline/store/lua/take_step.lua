-- A keypad answer (or a call back's first request) arrives for one step of a call.
-- Each step's URL names it, and Twilio signs the URL, so a step is applied once and in
-- order: a request for a step the call has passed, or for a call that has ended, is a
-- replay and changes nothing.
--
-- A step tried again after a failure ("one moment", then the same URL marked as a retry)
-- may find its step already taken: Redis failed after this script ran, before the answer
-- was made. The call is then at the next step and no request for it has come (its URL
-- was never given out), so the retry is the step's own, and it runs again.
--
-- KEYS: 1 call
-- ARGV: 1 the step the request answers, 2 "1" when the request is a retry
-- Returns "ok" (the step runs; the call is at the next step), "stale", "ended" or "unknown".
if redis.call('EXISTS', KEYS[1]) == 0 then return 'unknown' end
if redis.call('HEXISTS', KEYS[1], 'ended_at') == 1 then return 'ended' end
local current = tonumber(redis.call('HGET', KEYS[1], 'step') or '0')
local step = tonumber(ARGV[1])
if ARGV[2] == '1' and current == step + 1 then return 'ok' end
if step ~= current then return 'stale' end
redis.call('HSET', KEYS[1], 'step', current + 1)
return 'ok'
