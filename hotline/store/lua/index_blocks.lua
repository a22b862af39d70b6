-- Index blocks that were written before the indexes existed: each of ARGV that is still
-- in the blocks hash is added to the indexes as block() would have added it. An entry
-- already indexed is left as it is (NX): it was written since, and is right.
--
-- KEYS: 1 blocks, 2 by time, 3 by expiry, 4 by target
-- ARGV: the hash fields (numbers and prefixes) to index
-- Returns how many were indexed.
local indexed = 0
for _, target in ipairs(ARGV) do
  local raw = redis.call('HGET', KEYS[1], target)
  if raw then
    local block = cjson.decode(raw)
    indexed = indexed + redis.call('ZADD', KEYS[2], 'NX', tonumber(block.created_at), target)
    local expires_at = block.expires_at ~= cjson.null and tonumber(block.expires_at) or nil
    if expires_at then
      redis.call('ZADD', KEYS[3], 'NX', expires_at, target)
    end
    redis.call('ZADD', KEYS[4], 'NX', 0, target)
  end
end
return indexed
