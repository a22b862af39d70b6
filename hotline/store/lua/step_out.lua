-- A verified chair chose to report on the keypad: out of the priority line (they wait for
-- no volunteer), keeping the call's verification. A call not waiting changes nothing.
--
-- KEYS: 1 line, 2 waiting, 3 holding, 4 precinct places, 5 precinct calls, 6 call
-- ARGV: 1 CallSid
-- Returns 1 when the call left the line, 0 when it was not in it.
local raw = redis.call('HGET', KEYS[2], ARGV[1])
if not raw then return 0 end
local entry = cjson.decode(raw)
leave_line(KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], ARGV[1], entry['precinct'])
redis.call('HSET', KEYS[6], 'stage', 'keypad-report')
return 1
