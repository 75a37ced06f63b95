// The Lua script ingest runs for each batch of requests (see the comment at its top). Kept in
// a .ts file so tsx, vitest and the esbuild bundle all load it without a custom loader.
import { PROJECT_LANES } from "./stream-keys";

/** Keys of one context (a DSN key within one second): see the script's comment. */
const KEYS_PER_CONTEXT = 3 * PROJECT_LANES + 9;
const ARGS_PER_CONTEXT = 14;
const ARGS_PER_REQUEST = 3;
const ARGS_PER_ITEM = 7;
/** Monthly quotas (and their spike limits) per context: errors, transactions, attachment bytes. */
const METERS = 3;
const K = 3 * PROJECT_LANES;

export const ACCEPT_LUA = `
-- For each request of a batch, decides atomically which of its items the project accepts,
-- appends those to the stream of the request's lane, and counts every decision as an outcome.
--
-- What requests of one DSN key within one second share (their keys, limits and outcome
-- prefix) is a "context", sent once per call however many of its requests the call carries.
-- KEYS, ${KEYS_PER_CONTEXT} per context: the streams of the project's ${PROJECT_LANES} lanes (the backlog bound is
--   on their sum), the lanes' drain flags, the lanes' byte counts, key rate-limit counter, the
--   org's ${METERS} monthly counters (errors, transactions, attachment bytes), the project's ${METERS} hourly
--   (spike) counters of the same, outcomes hash, outcome bucket set
-- ARGV: context count, then per context: key limit (0 = none), its window (s), the ${METERS} monthly
--   quotas (0 = none), their ttl (s), the ${METERS} spike limits (0 = none), max backlog (entries),
--   max backlog (bytes), outcome field prefix, bucket id, and whether the monthly quotas are
--   budgets (1) or limits (0); then the request count, then per
--   request: its context (1-based), lane, item count; then per item: category, meter (-1 none, 0 the key limit only, 1..${METERS} also
--   that quota), quantity (1, or an attachment's bytes), the entry's fields m (see entryMeta in
--   lib/events/stream.ts), h (item header) and p (payload), filter reason ("" when not filtered)
-- Budgets are how a Redis Cluster runs this script in the project's slot alone: the org's
--   monthly counters (in its own slot) were reserved beforehand, the quota arguments are what
--   this call may use (-1 = no quota), and their keys only name the budget (never touched);
--   lib/ingest/accept-cluster.ts settles what was not used.
-- Category and filter reason come from fixed lists (lib/usage/outcome-values.ts), never from
-- the sender, so an outcome field always has exactly its six parts.
-- Returns per request: { drain job needed (0/1), decision per item ("" accepted, else why) }
--
-- Within the call, state is kept per key name, as two contexts can share keys (projects of one
-- org share its monthly counters): stream lengths (kept exact as entries are added), lane bytes
-- and counter values plus what this call adds to them (written once, at the end), drain flags
-- set, and outcome counts (written once per field, at the end).
local lengths, counters, flagged, outcomes = {}, {}, {}, {}

local function length(stream)
  if lengths[stream] == nil then lengths[stream] = redis.call('XLEN', stream) end
  return lengths[stream]
end

-- A lane's bytes in Redis: what MEMORY USAGE measured (exactly, walking every node: a sample
-- could miss a few large attachments among small events), remembered for a second under the
-- lane's byte key, plus what was added since. Drained entries show at the next measurement,
-- so the bound errs towards refusing for at most that second.
local laneBytes = {}
local function bytesOf(stream, bytesKey)
  local lane = laneBytes[stream]
  if lane == nil then
    local known = redis.call('GET', bytesKey)
    if not known then
      known = redis.call('MEMORY', 'USAGE', stream, 'SAMPLES', '0') or 0
      redis.call('SET', bytesKey, known, 'PX', 1000)
    end
    lane = { key = bytesKey, bytes = tonumber(known), added = 0 }
    laneBytes[stream] = lane
  end
  return lane
end

local function counter(key, limit, ttl)
  if limit == 0 then return nil end
  local c = counters[key]
  if c == nil then
    c = { used = tonumber(redis.call('GET', key) or '0'), added = 0, ttl = ttl, limit = limit }
    counters[key] = c
  end
  return c
end

local function budget(key, grant)
  if grant < 0 then return nil end
  local c = counters[key]
  if c == nil then
    c = { used = 0, added = 0, limit = grant, budget = true }
    counters[key] = c
  end
  return c
end

-- Whether taking quantity more would pass the limit.
local function exceeded(c, quantity)
  return c ~= nil and c.used + c.added + quantity > c.limit
end

local function add(c, quantity)
  if c ~= nil then c.added = c.added + quantity end
end

local contexts, a = {}, 2
for c = 1, tonumber(ARGV[1]) do
  local k = (c - 1) * ${KEYS_PER_CONTEXT}
  local quotas, spikes = {}, {}
  for m = 1, ${METERS} do
    quotas[m] = { key = KEYS[k + ${K + 1} + m], limit = tonumber(ARGV[a + 1 + m]) }
    spikes[m] = { key = KEYS[k + ${K + 1 + METERS} + m], limit = tonumber(ARGV[a + ${2 + METERS} + m]) }
  end
  contexts[c] = {
    k = k,
    keyLimit = tonumber(ARGV[a]), keyWindow = tonumber(ARGV[a + 1]),
    quotas = quotas, quotaTtl = tonumber(ARGV[a + ${2 + METERS}]), spikes = spikes,
    maxBacklog = tonumber(ARGV[a + ${3 + 2 * METERS}]), maxBacklogBytes = tonumber(ARGV[a + ${4 + 2 * METERS}]),
    prefix = ARGV[a + ${5 + 2 * METERS}], bucket = ARGV[a + ${6 + 2 * METERS}], budgets = ARGV[a + ${7 + 2 * METERS}] == '1',
    outcomeHash = KEYS[k + ${K + 2 + 2 * METERS}], bucketSet = KEYS[k + ${K + 3 + 2 * METERS}],
  }
  a = a + ${ARGS_PER_CONTEXT}
end

local function outcome(ctx, category, name, reason, quantity)
  local fields = outcomes[ctx.outcomeHash]
  if fields == nil then
    fields = { bucketSet = ctx.bucketSet, bucket = ctx.bucket, counts = {} }
    outcomes[ctx.outcomeHash] = fields
  end
  local field = ctx.prefix .. category .. '|' .. name .. '|' .. reason
  fields.counts[field] = (fields.counts[field] or 0) + quantity
end

local function accept(a)
  local ctx = contexts[tonumber(ARGV[a])]
  local k, lane = ctx.k, tonumber(ARGV[a + 1])
  local stream, flag = KEYS[k + 1 + lane], KEYS[k + ${PROJECT_LANES + 1} + lane]
  local count = tonumber(ARGV[a + 2])

  -- Checked per item: a request's own items fill the backlog too.
  local backlog, bytes = 0, 0
  for l = 1, ${PROJECT_LANES} do
    backlog = backlog + length(KEYS[k + l])
    local measured = bytesOf(KEYS[k + l], KEYS[k + ${2 * PROJECT_LANES} + l])
    bytes = bytes + measured.bytes + measured.added
  end
  local streamBytes = bytesOf(stream, KEYS[k + ${2 * PROJECT_LANES + 1} + lane])
  local keyCounter = counter(KEYS[k + ${K + 1}], ctx.keyLimit, ctx.keyWindow)
  local quotas, spikes = {}, {}
  for m = 1, ${METERS} do
    if ctx.budgets then quotas[m] = budget(ctx.quotas[m].key, ctx.quotas[m].limit)
    else quotas[m] = counter(ctx.quotas[m].key, ctx.quotas[m].limit, ctx.quotaTtl) end
    spikes[m] = counter(ctx.spikes[m].key, ctx.spikes[m].limit, 3600)
  end
  local decisions, accepted = {}, 0

  for i = 0, count - 1 do
    local b = a + ${ARGS_PER_REQUEST} + i * ${ARGS_PER_ITEM}
    local category, meter, quantity, filterReason = ARGV[b], tonumber(ARGV[b + 1]), tonumber(ARGV[b + 2]), ARGV[b + 6]
    local quota, spike = quotas[meter], spikes[meter]
    local reason = ''
    if filterReason ~= '' then
      reason = filterReason
      outcome(ctx, category, 'filtered', reason, quantity)
    else
      local size = #ARGV[b + 4] + #ARGV[b + 5]
      if backlog >= ctx.maxBacklog or bytes + size > ctx.maxBacklogBytes then reason = 'backlog_full'
      elseif meter >= 0 and exceeded(keyCounter, 1) then reason = 'key_quota'
      elseif exceeded(quota, quantity) then reason = 'usage_exceeded'
      elseif exceeded(spike, quantity) then reason = 'smart_rate_limit'
      end
      if reason == '' then
        redis.call('XADD', stream, '*', 'm', ARGV[b + 3], 'h', ARGV[b + 4], 'p', ARGV[b + 5])
        lengths[stream] = length(stream) + 1
        backlog = backlog + 1
        bytes = bytes + size
        streamBytes.added = streamBytes.added + size
        accepted = accepted + 1
        if meter >= 0 then add(keyCounter, 1) end
        add(quota, quantity)
        add(spike, quantity)
        outcome(ctx, category, 'accepted', '', quantity)
      else
        outcome(ctx, category, 'rate_limited', reason, quantity)
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
  if c.added > 0 and not c.budget then
    redis.call('INCRBY', key, c.added)
    redis.call('EXPIRE', key, c.ttl)
  end
end
for _, lane in pairs(laneBytes) do
  if lane.added > 0 then redis.call('INCRBY', lane.key, lane.added) end
end
for hash, fields in pairs(outcomes) do
  for field, n in pairs(fields.counts) do redis.call('HINCRBY', hash, field, n) end
  redis.call('EXPIRE', hash, 604800)
  redis.call('SADD', fields.bucketSet, fields.bucket)
end
return results
`;
