-- A text's status moves on: from the job that sent it (Twilio's answer to the create) or
-- from Twilio's status callback, which may come first and may come out of order. A status
-- never moves back (a late "sent" does not undo "delivered"), and the first final status
-- stays. A callback about another message than the one recorded (an earlier attempt that
-- Twilio carried out after all) changes nothing.
--
-- KEYS: 1 texts
-- ARGV: 1 precinct, 2 status, 3 now, 4 message SID ("" when none), 5 error code ("" when
--       none)
-- Returns 1 when the status was recorded, 0 when not.
local RANK = {
  waiting = 0, sending = 1, accepted = 2, scheduled = 2, queued = 2, sent = 3,
  delivered = 4, read = 4, undelivered = 4, failed = 4, canceled = 4,
}
local raw = redis.call('HGET', KEYS[1], ARGV[1])
local rank = RANK[ARGV[2]]
if not raw or not rank then return 0 end
local text = cjson.decode(raw)
if ARGV[4] ~= '' and text.sid and text.sid ~= ARGV[4] then return 0 end
local was = RANK[text.status] or 0
if rank < was or (rank == was and rank == 4) then return 0 end
text.status = ARGV[2]
text.at = tonumber(ARGV[3])
if ARGV[4] ~= '' then text.sid = ARGV[4] end
if ARGV[5] ~= '' then text.error_code = tonumber(ARGV[5]) end
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(text))
return 1
