-- A status callback: apply it once, in order. Twilio may retry a callback or
-- deliver them out of order; SequenceNumber tells which is newer. A call that
-- ends while it waits in line leaves the line; when it was its precinct's last
-- call waiting, the precinct's place is kept for a while in case the chair calls
-- back. A chair who asked to be called back stays in line. A chair parked while holding
-- (Twilio refused to move them) who hangs up leaves the parking the same way.
--
-- KEYS: 1 call, 2 line, 3 waiting, 4 kept place (a dummy when no precinct), 5 holding,
--       6 precinct places, 7 precinct calls, 8 parked
-- ARGV: 1 now, 2 status, 3 sequence number (-1 when absent), 4 duration s ("" if absent),
--       5 terminal ("1"/"0"), 6 precinct ("" if none), 7 keep place s, 8 CallSid, 9 ttl s
-- Returns: {applied (0/1), left_line (0/1)}
local seq = tonumber(ARGV[3])
local last = tonumber(redis.call('HGET', KEYS[1], 'last_seq') or '-1')
local ended = redis.call('HEXISTS', KEYS[1], 'ended_at') == 1
if ended or (seq >= 0 and seq <= last) then
  return {0, 0}
end
if seq >= 0 then redis.call('HSET', KEYS[1], 'last_seq', seq) end
redis.call('HSET', KEYS[1], 'status', ARGV[2])
if ARGV[5] ~= '1' then
  return {1, 0}
end
redis.call('HSET', KEYS[1], 'ended_at', ARGV[1])
if ARGV[4] ~= '' then redis.call('HSET', KEYS[1], 'duration', ARGV[4]) end
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[9]))
local left = 0
local entry = redis.call('HGET', KEYS[3], ARGV[8])
local decoded = entry and cjson.decode(entry)
-- A chair who asked to be called back hung up on purpose: they stay in line.
if decoded and not decoded.callback then
  local score, remaining = leave_line(KEYS[2], KEYS[3], KEYS[5], KEYS[6], KEYS[7], ARGV[8],
                                      decoded.precinct)
  if score and remaining == 0 then
    redis.call('SET', KEYS[4], score, 'EX', tonumber(ARGV[7]))
  end
  left = 1
elseif not decoded then
  local parked = redis.call('HGET', KEYS[8], ARGV[8])
  local chair = parked and cjson.decode(parked)
  if chair and not chair.entry.callback then
    redis.call('HDEL', KEYS[8], ARGV[8])
    if release_precinct(KEYS[6], KEYS[7], chair.precinct) == 0 then
      -- %.17g: every digit of the score (Lua's own conversion keeps 14).
      redis.call('SET', KEYS[4], string.format('%.17g', chair.score), 'EX', tonumber(ARGV[7]))
    end
    left = 1
  end
end
return {1, left}
