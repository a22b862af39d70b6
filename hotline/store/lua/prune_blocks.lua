-- Sweep expired blocks: remove each block whose expiry has passed from the blocks hash
-- and its three indexes, at most ARGV[2] of them per run (the caller runs it again while
-- it returns a full batch, so Redis is never held for long).
--
-- The expiry index only says where to look: a block is removed when the expiry stored in
-- the hash itself has passed, the same test as arrive.lua's. An index entry that
-- disagrees with the hash (written by an older version of Hotline, during an upgrade) is
-- put right, so the same entry is never looked at twice.
--
-- KEYS: 1 blocks, 2 by time, 3 by expiry, 4 by target
-- ARGV: 1 now, 2 batch size
-- Returns {blocks removed, index entries looked at}
local now = tonumber(ARGV[1])
local due = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now, 'LIMIT', 0, tonumber(ARGV[2]))
local removed = 0
for _, target in ipairs(due) do
  local raw = redis.call('HGET', KEYS[1], target)
  local expires_at = nil
  if raw then
    local block = cjson.decode(raw)
    if block.expires_at ~= cjson.null then expires_at = tonumber(block.expires_at) end
    -- (absent or JSON null: a lasting block)
  end
  if raw and expires_at and expires_at > now then
    redis.call('ZADD', KEYS[3], expires_at, target)
  elseif raw and not expires_at then
    redis.call('ZREM', KEYS[3], target)
  else
    if raw then
      redis.call('HDEL', KEYS[1], target)
      removed = removed + 1
    end
    redis.call('ZREM', KEYS[2], target)
    redis.call('ZREM', KEYS[3], target)
    redis.call('ZREM', KEYS[4], target)
  end
end
return {removed, #due}
