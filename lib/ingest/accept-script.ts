// The Lua script ingest runs for each batch of requests (see the comment at its top). Kept in
// a .ts file so tsx, vitest and the esbuild bundle all load it without a custom loader.
import { PROJECT_LANES } from "./stream-keys";

export const KEYS_PER_REQUEST = 7 + PROJECT_LANES;

export const ACCEPT_LUA = `
-- For each request of a batch, decides atomically which of its items the project accepts,
-- appends those to the stream of the request's lane, and counts every decision as an outcome.
--
-- KEYS, ${KEYS_PER_REQUEST} per request: stream, drain flag, key rate-limit counter, org monthly counter,
--   project hourly (spike) counter, outcomes hash, outcome bucket set, then the streams of all
--   ${PROJECT_LANES} lanes of the project (the backlog bound is on their sum)
-- ARGV: request count, then per request: key limit (0 = none), its window (s), monthly quota
--   (0 = none), its ttl (s), spike limit (0 = none), max backlog, outcome field prefix, bucket
--   id, client ip, received at (ms), envelope header, item count; then per item: category,
--   limited ("1" when event quotas apply), type, item header, payload, event id, filter
--   reason ("" when not filtered)
-- Returns per request: { drain job needed (0/1), decision per item ("" accepted, else why) }

-- What this call already knows, so each request after the first of a project or bucket costs
-- fewer commands: stream lengths (kept exact as entries are added), drain flags set, and
-- outcome hashes already given their TTL.
local lengths, flagged, stamped = {}, {}, {}

local function length(stream)
  if lengths[stream] == nil then lengths[stream] = redis.call('XLEN', stream) end
  return lengths[stream]
end

local function used(key, limit)
  if limit == 0 then return 0 end
  return tonumber(redis.call('GET', key) or '0')
end

local function accept(k, a)
  local stream, flag = KEYS[k], KEYS[k + 1]
  local keyCounter, quotaCounter, spikeCounter = KEYS[k + 2], KEYS[k + 3], KEYS[k + 4]
  local outcomeHash, bucketSet = KEYS[k + 5], KEYS[k + 6]
  local keyLimit, keyWindow = tonumber(ARGV[a]), tonumber(ARGV[a + 1])
  local quota, quotaTtl = tonumber(ARGV[a + 2]), tonumber(ARGV[a + 3])
  local spike, maxBacklog = tonumber(ARGV[a + 4]), tonumber(ARGV[a + 5])
  local prefix, bucket = ARGV[a + 6], ARGV[a + 7]
  local ip, ts, envelopeHeader = ARGV[a + 8], ARGV[a + 9], ARGV[a + 10]
  local count = tonumber(ARGV[a + 11])

  local backlog = 0
  for lane = 0, ${PROJECT_LANES - 1} do backlog = backlog + length(KEYS[k + 7 + lane]) end
  local backlogFull = backlog >= maxBacklog
  local keyUsed, quotaUsed, spikeUsed = used(keyCounter, keyLimit), used(quotaCounter, quota), used(spikeCounter, spike)
  local decisions, outcomes = {}, {}
  local accepted, limitedAccepted = 0, 0
  local function outcome(category, name, reason)
    local field = prefix .. category .. '|' .. name .. '|' .. reason
    outcomes[field] = (outcomes[field] or 0) + 1
  end

  for i = 0, count - 1 do
    local b = a + 12 + i * 7
    local category, limited, filterReason = ARGV[b], ARGV[b + 1] == '1', ARGV[b + 6]
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
        redis.call('XADD', stream, '*', 't', ARGV[b + 2], 'h', ARGV[b + 3], 'p', ARGV[b + 4],
          'id', ARGV[b + 5], 'ip', ip, 'ts', ts, 'eh', envelopeHeader)
        lengths[stream] = length(stream) + 1
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
    for _, counter in ipairs({ { keyCounter, keyLimit, keyWindow }, { quotaCounter, quota, quotaTtl }, { spikeCounter, spike, 3600 } }) do
      if counter[2] > 0 then
        redis.call('INCRBY', counter[1], limitedAccepted)
        redis.call('EXPIRE', counter[1], counter[3])
      end
    end
  end
  for field, n in pairs(outcomes) do redis.call('HINCRBY', outcomeHash, field, n) end
  if next(outcomes) ~= nil and not stamped[outcomeHash] then
    redis.call('EXPIRE', outcomeHash, 604800)
    redis.call('SADD', bucketSet, bucket)
    stamped[outcomeHash] = true
  end
  local drain = 0
  if accepted > 0 and not flagged[flag] then
    flagged[flag] = true
    if redis.call('SET', flag, '1', 'NX') then drain = 1 end
  end
  return { drain, decisions }, a + 12 + count * 7
end

local results, a = {}, 2
for r = 1, tonumber(ARGV[1]) do
  results[r], a = accept((r - 1) * ${KEYS_PER_REQUEST} + 1, a)
end
return results
`;
