// The Lua script ingest runs for each batch of requests (see the comment at its top). Kept in
// a .ts file so tsx, vitest and the esbuild bundle all load it without a custom loader.
import { PROJECT_LANES } from "./stream-keys";

/** Keys of one context (a DSN key within one second): see the script's comment. */
const KEYS_PER_CONTEXT = 2 * PROJECT_LANES + 5;
const ARGS_PER_CONTEXT = 8;
const ARGS_PER_REQUEST = 3;
const ARGS_PER_ITEM = 6;

export const ACCEPT_LUA = `
-- For each request of a batch, decides atomically which of its items the project accepts,
-- appends those to the stream of the request's lane, and counts every decision as an outcome.
--
-- What requests of one DSN key within one second share (their keys, limits and outcome
-- prefix) is a "context", sent once per call however many of its requests the call carries.
-- KEYS, ${KEYS_PER_CONTEXT} per context: the streams of the project's ${PROJECT_LANES} lanes (the backlog bound is on
--   their sum), the lanes' drain flags, key rate-limit counter, org monthly counter, project
--   hourly (spike) counter, outcomes hash, outcome bucket set
-- ARGV: context count, then per context: key limit (0 = none), its window (s), monthly quota
--   (0 = none), its ttl (s), spike limit (0 = none), max backlog, outcome field prefix, bucket
--   id; then the request count, then per request: its context (1-based), lane, item count;
--   then per item: category, limited ("1" when event quotas apply), the entry's fields m
--   (see entryMeta in lib/events/stream.ts), h (item header) and p (payload), filter reason
--   ("" when not filtered)
-- Returns per request: { drain job needed (0/1), decision per item ("" accepted, else why) }
--
-- Within the call, state is kept per key name, as two contexts can share keys (projects of one
-- org share its monthly counter): stream lengths (kept exact as entries are added), counter
-- values plus what this call adds to them (written once, at the end), drain flags set, and
-- outcome counts (written once per field, at the end).
local lengths, counters, flagged, outcomes = {}, {}, {}, {}

local function length(stream)
  if lengths[stream] == nil then lengths[stream] = redis.call('XLEN', stream) end
  return lengths[stream]
end

local function counter(key, limit, ttl)
  if limit == 0 then return nil end
  local c = counters[key]
  if c == nil then
    c = { used = tonumber(redis.call('GET', key) or '0'), added = 0, ttl = ttl }
    counters[key] = c
  end
  return c
end

local function exceeded(c, limit)
  return c ~= nil and c.used + c.added >= limit
end

local contexts, a = {}, 2
for c = 1, tonumber(ARGV[1]) do
  local k = (c - 1) * ${KEYS_PER_CONTEXT}
  contexts[c] = {
    k = k,
    keyLimit = tonumber(ARGV[a]), keyWindow = tonumber(ARGV[a + 1]),
    quota = tonumber(ARGV[a + 2]), quotaTtl = tonumber(ARGV[a + 3]),
    spike = tonumber(ARGV[a + 4]), maxBacklog = tonumber(ARGV[a + 5]),
    prefix = ARGV[a + 6], bucket = ARGV[a + 7],
    outcomeHash = KEYS[k + ${2 * PROJECT_LANES + 4}], bucketSet = KEYS[k + ${2 * PROJECT_LANES + 5}],
  }
  a = a + ${ARGS_PER_CONTEXT}
end

local function outcome(ctx, category, name, reason)
  local fields = outcomes[ctx.outcomeHash]
  if fields == nil then
    fields = { bucketSet = ctx.bucketSet, bucket = ctx.bucket, counts = {} }
    outcomes[ctx.outcomeHash] = fields
  end
  local field = ctx.prefix .. category .. '|' .. name .. '|' .. reason
  fields.counts[field] = (fields.counts[field] or 0) + 1
end

local function accept(a)
  local ctx = contexts[tonumber(ARGV[a])]
  local k, lane = ctx.k, tonumber(ARGV[a + 1])
  local stream, flag = KEYS[k + 1 + lane], KEYS[k + ${PROJECT_LANES + 1} + lane]
  local count = tonumber(ARGV[a + 2])

  local backlog = 0
  for l = 1, ${PROJECT_LANES} do backlog = backlog + length(KEYS[k + l]) end
  local backlogFull = backlog >= ctx.maxBacklog
  local keyCounter = counter(KEYS[k + ${2 * PROJECT_LANES + 1}], ctx.keyLimit, ctx.keyWindow)
  local quotaCounter = counter(KEYS[k + ${2 * PROJECT_LANES + 2}], ctx.quota, ctx.quotaTtl)
  local spikeCounter = counter(KEYS[k + ${2 * PROJECT_LANES + 3}], ctx.spike, 3600)
  local decisions, accepted = {}, 0

  for i = 0, count - 1 do
    local b = a + ${ARGS_PER_REQUEST} + i * ${ARGS_PER_ITEM}
    local category, limited, filterReason = ARGV[b], ARGV[b + 1] == '1', ARGV[b + 5]
    local reason = ''
    if filterReason ~= '' then
      reason = filterReason
      outcome(ctx, category, 'filtered', reason)
    else
      if backlogFull then reason = 'backlog_full'
      elseif limited and exceeded(keyCounter, ctx.keyLimit) then reason = 'key_quota'
      elseif limited and exceeded(quotaCounter, ctx.quota) then reason = 'usage_exceeded'
      elseif limited and exceeded(spikeCounter, ctx.spike) then reason = 'smart_rate_limit'
      end
      if reason == '' then
        redis.call('XADD', stream, '*', 'm', ARGV[b + 2], 'h', ARGV[b + 3], 'p', ARGV[b + 4])
        lengths[stream] = length(stream) + 1
        accepted = accepted + 1
        if limited then
          if keyCounter then keyCounter.added = keyCounter.added + 1 end
          if quotaCounter then quotaCounter.added = quotaCounter.added + 1 end
          if spikeCounter then spikeCounter.added = spikeCounter.added + 1 end
        end
        outcome(ctx, category, 'accepted', '')
      else
        outcome(ctx, category, 'rate_limited', reason)
      end
    end
    decisions[i + 1] = reason
  end

  local drain = 0
  if accepted > 0 and not flagged[flag] then
    flagged[flag] = true
    if redis.call('SET', flag, '1', 'NX') then drain = 1 end
  end
  return { drain, decisions }, a + ${ARGS_PER_REQUEST} + count * ${ARGS_PER_ITEM}
end

local results, requests = {}, tonumber(ARGV[a])
a = a + 1
for r = 1, requests do results[r], a = accept(a) end

for key, c in pairs(counters) do
  if c.added > 0 then
    redis.call('INCRBY', key, c.added)
    redis.call('EXPIRE', key, c.ttl)
  end
end
for hash, fields in pairs(outcomes) do
  for field, n in pairs(fields.counts) do redis.call('HINCRBY', hash, field, n) end
  redis.call('EXPIRE', hash, 604800)
  redis.call('SADD', fields.bucketSet, fields.bucket)
end
return results
`;
