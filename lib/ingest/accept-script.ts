// The Lua script ingest runs once per request (see the comment at its top). Kept in a .ts
// file so tsx, vitest and the esbuild bundle all load it without a custom loader.
export const ACCEPT_LUA = `
-- Decides, atomically, which items of one request a project accepts, appends those to the
-- project's stream, and counts every decision as an outcome.
--
-- KEYS: 1 stream, 2 drain flag, 3 key rate-limit counter, 4 org monthly counter,
--       5 project hourly (spike) counter, 6 outcomes hash, 7 outcome bucket set
-- ARGV: 1 key limit (0 = none), 2 its window (s), 3 monthly quota (0 = none), 4 its ttl (s),
--       5 spike limit (0 = none), 6 max backlog, 7 outcome field prefix, 8 bucket id,
--       9 client ip, 10 received at (ms), 11 envelope header, 12 item count,
--       then per item: category, limited ("1" when event quotas apply), type, item header,
--       payload, event id, filter reason ("" when not filtered)
-- Returns: { drain job needed (0/1), decision per item ("" accepted, else the reason) }

local keyLimit, keyWindow = tonumber(ARGV[1]), tonumber(ARGV[2])
local quota, quotaTtl = tonumber(ARGV[3]), tonumber(ARGV[4])
local spike, maxBacklog = tonumber(ARGV[5]), tonumber(ARGV[6])
local prefix, bucket = ARGV[7], ARGV[8]
local ip, ts, envelopeHeader = ARGV[9], ARGV[10], ARGV[11]
local count = tonumber(ARGV[12])

local backlogFull = redis.call('XLEN', KEYS[1]) >= maxBacklog
local function used(key, limit)
  if limit == 0 then return 0 end
  return tonumber(redis.call('GET', key) or '0')
end
local keyUsed, quotaUsed, spikeUsed = used(KEYS[3], keyLimit), used(KEYS[4], quota), used(KEYS[5], spike)

local decisions, outcomes = {}, {}
local accepted, limitedAccepted = 0, 0
local function outcome(category, name, reason)
  local field = prefix .. category .. '|' .. name .. '|' .. reason
  outcomes[field] = (outcomes[field] or 0) + 1
end

for i = 0, count - 1 do
  local a = 13 + i * 7
  local category, limited, filterReason = ARGV[a], ARGV[a + 1] == '1', ARGV[a + 6]
  local reason = ''
  if filterReason ~= '' then
    reason = filterReason
    outcome(category, 'filtered', reason)
  else
    if backlogFull then reason = 'backlog_full'
    elseif limited and keyLimit > 0 and keyUsed + limitedAccepted >= keyLimit then reason = 'key_quota'
    elseif limited and quota > 0 and quotaUsed + limitedAccepted >= quota then reason = 'usage_exceeded'
    elseif limited and spike > 0 and spikeUsed + limitedAccepted >= spike then reason = 'smart_rate_limit'
    end
    if reason == '' then
      redis.call('XADD', KEYS[1], '*', 't', ARGV[a + 2], 'h', ARGV[a + 3], 'p', ARGV[a + 4],
        'id', ARGV[a + 5], 'ip', ip, 'ts', ts, 'eh', envelopeHeader)
      accepted = accepted + 1
      if limited then limitedAccepted = limitedAccepted + 1 end
      outcome(category, 'accepted', '')
    else
      outcome(category, 'rate_limited', reason)
    end
  end
  decisions[i + 1] = reason
end

if limitedAccepted > 0 then
  for _, counter in ipairs({ { KEYS[3], keyLimit, keyWindow }, { KEYS[4], quota, quotaTtl }, { KEYS[5], spike, 3600 } }) do
    if counter[2] > 0 then
      redis.call('INCRBY', counter[1], limitedAccepted)
      redis.call('EXPIRE', counter[1], counter[3])
    end
  end
end

for field, n in pairs(outcomes) do redis.call('HINCRBY', KEYS[6], field, n) end
if next(outcomes) ~= nil then
  redis.call('EXPIRE', KEYS[6], 604800)
  redis.call('SADD', KEYS[7], bucket)
end

local drain = 0
if accepted > 0 and redis.call('SET', KEYS[2], '1', 'NX') then drain = 1 end
return { drain, decisions }
`;
