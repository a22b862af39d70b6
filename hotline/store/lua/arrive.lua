-- An inbound call arrives: reject it if its number or a prefix of it is
-- blocked; otherwise count it and return everything known about the caller.
-- One round trip for the common path of /voice/incoming.
--
-- It also keeps the night's figures (store/night_figures.py): calls answered and rejected
-- this minute, the calls that arrived on each hotline number (ARGV 13), and the numbers
-- that called more than once within the long window, with how many times (the top
-- callers' candidates). And it reads which
-- version of tonight's thresholds is in force (store/tonight.py), so that the web process
-- judges the call by them without a round trip of its own: the thresholds themselves
-- come back only when the version is not the one the process already holds.
--
-- KEYS: 1 blocks, 2 chair-phones, 3 flood, 4 inbound minute counter, 5 call,
--       6 recent calls, 7 caller calls, 8 caller hangups, 9 caller, 10 withheld pin failures,
--       11 allowed numbers, 12 blocks by time, 13 blocks by expiry, 14 blocks by target
--       (the blocks' indexes), 15 this hour's figures, 16 top callers, 17 tonight's
--       thresholds, 18 top callers' latest calls, 19 calls by time, 20 precinct traits,
--       21 retired hotline numbers
-- ARGV: 1 now, 2 number ("" when withheld), 3 CallSid, 4 short window s,
--       5 long window s, 6 call record ttl s, 7 recent calls cap,
--       8 request details (JSON, stored on the call record), 9 this minute (since the
--       epoch), 10 figures ttl s, 11 top callers ttl s, 12 the version of tonight's
--       thresholds the web process holds ("" for none), 13 the hotline number called
--       (Twilio's To; "" when not sent)
-- Returns JSON: {blocked, target, block} for a block in force; otherwise {facts} and,
-- when tonight's version is not the one held, {policy: tonight's values}.
local now = tonumber(ARGV[1])
local number = ARGV[2]
local call_sid = ARGV[3]
local short_window = tonumber(ARGV[4])
local long_window = tonumber(ARGV[5])
local call_ttl = tonumber(ARGV[6])
local since_long = now - long_window

-- A call counted (once: a retried webhook is not) as `figure`, and for the hotline number
-- it dialled too, answered or rejected alike: "calls@<number>".
local function count_arrival(figure)
  redis.call('HINCRBY', KEYS[15], ARGV[9] .. ':' .. figure, 1)
  if ARGV[13] ~= '' then
    redis.call('HINCRBY', KEYS[15], ARGV[9] .. ':calls@' .. ARGV[13], 1)
  end
  redis.call('EXPIRE', KEYS[15], tonumber(ARGV[10]))
end

local function record_call(fields)
  local fresh = redis.call('HSETNX', KEYS[5], 'started_at', ARGV[1]) == 1
  redis.call('HSET', KEYS[5], 'from', number, 'request', ARGV[8], unpack(fields))
  redis.call('EXPIRE', KEYS[5], call_ttl)
  if fresh then
    redis.call('LPUSH', KEYS[6], call_sid)
    redis.call('LTRIM', KEYS[6], 0, tonumber(ARGV[7]) - 1)
    -- The calls by time, for the night's report: kept as long as the records they find.
    redis.call('ZADD', KEYS[19], now, call_sid)
    redis.call('ZREMRANGEBYSCORE', KEYS[19], '-inf', '(' .. (now - call_ttl))
    redis.call('EXPIRE', KEYS[19], call_ttl)
  end
  return fresh
end

-- Blocks: the exact number, then ever shorter prefixes, all read with one HMGET
-- (a dozen targets per number, on every call). Expired blocks are removed on
-- sight, from the hash and its indexes alike (store/blocks.py); the housekeeping's
-- sweep removes those whose number does not call again.
local function active_block(target, raw)
  if not raw then return nil end
  local block = cjson.decode(raw)
  if block.expires_at and block.expires_at ~= cjson.null and tonumber(block.expires_at) <= now then
    redis.call('HDEL', KEYS[1], target)
    redis.call('ZREM', KEYS[12], target)
    redis.call('ZREM', KEYS[13], target)
    redis.call('ZREM', KEYS[14], target)
    return nil
  end
  return raw
end

if number ~= '' then
  local targets = {number}
  for i = string.len(number) - 1, 2, -1 do
    targets[#targets + 1] = string.sub(number, 1, i) .. '*'
  end
  local found = redis.call('HMGET', KEYS[1], unpack(targets))
  for i, target in ipairs(targets) do
    local block = active_block(target, found[i])
    if block then
      if record_call({'verdict', 'reject', 'counted', 'rejected', 'block_target', target,
                      'block', block}) then
        count_arrival('rejected')
      end
      return cjson.encode({blocked = true, target = target, block = cjson.decode(block)})
    end
  end
end

-- A retried webhook (same CallSid) is not counted twice anywhere.
local fresh = record_call({})
local inbound
if fresh then
  inbound = redis.call('INCR', KEYS[4])
  redis.call('EXPIRE', KEYS[4], 120)
  count_arrival('answered')
else
  inbound = tonumber(redis.call('GET', KEYS[4]) or '1')
end

local facts = {
  number = number,
  flood_switch = redis.call('EXISTS', KEYS[3]) == 1,
  calls_this_minute = inbound,
  withheld_pin_failures = redis.call('ZCOUNT', KEYS[10], since_long, '+inf'),
}
-- Set only when true: the facts are kept on every call record.
if ARGV[13] ~= '' and redis.call('HEXISTS', KEYS[21], ARGV[13]) == 1 then
  facts.called_retired_number = true
end

if number ~= '' then
  redis.call('ZADD', KEYS[7], now, call_sid)
  redis.call('ZREMRANGEBYSCORE', KEYS[7], '-inf', '(' .. since_long)
  redis.call('EXPIRE', KEYS[7], math.ceil(long_window))
  facts.calls_short = redis.call('ZCOUNT', KEYS[7], now - short_window, '+inf')
  facts.calls_long = redis.call('ZCARD', KEYS[7])
  facts.instant_hangups_long = redis.call('ZCOUNT', KEYS[8], since_long, '+inf')
  local rep = redis.call('HMGET', KEYS[9], 'flags', 'temp_blocks', 'verified_at')
  facts.flags = tonumber(rep[1]) or 0
  facts.temp_blocks = tonumber(rep[2]) or 0
  facts.verified_recently = (tonumber(rep[3]) or -1) >= since_long
  facts.admin_allowed = redis.call('HEXISTS', KEYS[11], number) == 1
  local chair = redis.call('HGET', KEYS[2], number)
  if chair then
    facts.chair_precinct = chair
    -- Where the chair's satellite caucus meets, the language of its prompts (JSON).
    local traits = redis.call('HGET', KEYS[20], chair)
    if traits then facts.chair_traits = cjson.decode(traits) end
  end
  -- A number's first call makes no top caller: a flood of one-off numbers adds nothing.
  if fresh and facts.calls_long > 1 then
    redis.call('ZADD', KEYS[16], facts.calls_long, number)
    redis.call('ZADD', KEYS[18], now, number)
    redis.call('EXPIRE', KEYS[16], tonumber(ARGV[11]))
    redis.call('EXPIRE', KEYS[18], tonumber(ARGV[11]))
  end
end

local tonight = redis.call('HMGET', KEYS[17], 'version', 'values')
local version = tonight[1] or ''
facts.policy_version = version

local encoded = cjson.encode(facts)
redis.call('HSET', KEYS[5], 'facts', encoded)
if version ~= ARGV[12] and tonight[2] then
  return '{"facts":' .. encoded .. ',"policy":' .. tonight[2] .. '}'
end
return '{"facts":' .. encoded .. '}'
