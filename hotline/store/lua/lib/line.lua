-- Shared by the scripts that take a call out of the priority line (prepended to each
-- script by store/scripts.py). The caller has checked that `sid` is waiting.
--
-- Removes the call from the line, its entry and the holding set, and from its precinct's
-- count. Returns the call's score and how many calls for the precinct still wait; the
-- precinct's place goes with the last of them.
local function leave_line(k_line, k_waiting, k_holding, k_places, k_counts, sid, precinct)
  local score = redis.call('ZSCORE', k_line, sid)
  redis.call('ZREM', k_line, sid)
  redis.call('HDEL', k_waiting, sid)
  redis.call('SREM', k_holding, sid)
  local left = redis.call('HINCRBY', k_counts, precinct, -1)
  if left <= 0 then
    redis.call('HDEL', k_counts, precinct)
    redis.call('HDEL', k_places, precinct)
    left = 0
  end
  return score, left
end
