-- A call's verdict recorded and, the first time one is, counted among the night's
-- figures (store/figures.py) under the minute the call arrived in: a call is counted
-- once, whichever of the webhook, the call-end job or a PIN failure records it.
--
-- KEYS: 1 call, 2 the figures of the hour the call arrived in
-- ARGV: 1 verdict, 2 reasons (JSON), 3 enforced 0/1, 4 figure to count it as ("" records
--       without counting), 5 the figure's field ("<minute>:<figure>"), 6 figures ttl s,
--       7 "1" to leave a verdict already recorded as it is (count only)
if ARGV[7] ~= '1' then
  redis.call('HSET', KEYS[1], 'verdict', ARGV[1], 'reasons', ARGV[2], 'enforced', ARGV[3])
end
if ARGV[4] ~= '' and redis.call('HSETNX', KEYS[1], 'counted', ARGV[4]) == 1 then
  redis.call('HINCRBY', KEYS[2], ARGV[5], 1)
  redis.call('EXPIRE', KEYS[2], tonumber(ARGV[6]))
  return 1
end
return 0
