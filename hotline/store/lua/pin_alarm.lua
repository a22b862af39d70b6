-- The PIN alarm was raised: put it on the audit trail, once within an alarm window however
-- many checks see the count reach the threshold (a retried step, a count that dips and
-- climbs again). The window is measured by the hotline's clock, as the alarm is.
--
-- KEYS: 1 the alarm's marker (the time of the alarm last put on record), 2 audit trail
-- ARGV: 1 now, 2 alarm window s, 3 audit trail's cap, 4... the entry's fields and values
-- Returns 1 when the alarm was put on record, 0 when one was within the window.
local now, window = tonumber(ARGV[1]), tonumber(ARGV[2])
local last = redis.call('GET', KEYS[1])
if last and now - tonumber(last) < window then
  return 0
end
redis.call('SET', KEYS[1], ARGV[1], 'EX', math.ceil(window))
redis.call('XADD', KEYS[2], 'MAXLEN', '~', tonumber(ARGV[3]), '*', unpack(ARGV, 4))
return 1
