/**
 * Lua scripts: each lifecycle step is one atomic update of the record, its indexes and its
 * event stream. Record fields are stored JSON-encoded, so Lua compares encoded states.
 */

/** KEYS: idempotency key ('' when none), record, byCreation, byState(requested), byTicket, events.
 *  ARGV: idempotency value, expiry seconds, createdAt ms, id, event fields (5), quota check (JSON,
 *  '' for none: live state sets and record key prefixes, the new record's requester, ticket and
 *  kind, and the [name, limit] pairs to check in order), then field/value pairs.
 *  Quotas are counted here, from the live records themselves, so two concurrent requests cannot
 *  both take the last place and no counter can drift. */
export const CREATE = `
if KEYS[1] ~= '' then
  local existing = redis.call('GET', KEYS[1])
  if existing then return {'exists', existing} end
end
if ARGV[10] ~= '' then
  local q = cjson.decode(ARGV[10])
  local n = {overall = 0, perRequester = 0, perTicket = 0, vmOverall = 0, vmPerRequester = 0}
  for _, state in ipairs(q.liveStates) do
    for _, id in ipairs(redis.call('SMEMBERS', q.statePrefix .. state)) do
      local f = redis.call('HMGET', q.envPrefix .. id, 'requester', 'kind', 'ticket')
      if f[1] and f[2] and f[3] then
        local mine = cjson.decode(f[1]) == q.requester
        local vm = cjson.decode(f[2]) == 'vm'
        local t = cjson.decode(f[3])
        n.overall = n.overall + 1
        if mine then n.perRequester = n.perRequester + 1 end
        if t.system == q.system and t.id == q.ticketId then n.perTicket = n.perTicket + 1 end
        if vm then n.vmOverall = n.vmOverall + 1 end
        if vm and mine then n.vmPerRequester = n.vmPerRequester + 1 end
      end
    end
  end
  for _, check in ipairs(q.checks) do
    if n[check[1]] >= check[2] then return {'quota', check[1], tostring(check[2])} end
  end
end
if KEYS[1] ~= '' then redis.call('SET', KEYS[1], ARGV[1], 'EX', tonumber(ARGV[2])) end
local fields = {}
for i = 11, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('HSET', KEYS[2], unpack(fields))
redis.call('ZADD', KEYS[3], tonumber(ARGV[3]), ARGV[4])
redis.call('SADD', KEYS[4], ARGV[4])
redis.call('SADD', KEYS[5], ARGV[4])
local eid = redis.call('XADD', KEYS[6], 'MAXLEN', '~', 10000, '*',
  'type', ARGV[5], 'actor', ARGV[6], 'message', ARGV[7], 'data', ARGV[8], 'at', ARGV[9], 'state', 'requested')
return {'ok', eid}
`;

/** KEYS: record, events.
 *  ARGV[1] JSON array of allowed current states; ARGV[2] target state ('' keeps the state);
 *  ARGV[3] state to go to instead when a destroy was requested meanwhile ('' for none); the patch is then skipped;
 *  ARGV[4] at; ARGV[5..8] event type, actor, message, data; ARGV[9] prefix for state sets;
 *  ARGV[10] retention seconds once destroyed; ARGV[11..] field/value pairs ('' value deletes). */
export const TRANSITION = `
local raw = redis.call('HGET', KEYS[1], 'state')
if not raw then return {'missing'} end
local current = cjson.decode(raw)
local allowed = false
for _, s in ipairs(cjson.decode(ARGV[1])) do
  if s == current then allowed = true end
end
if not allowed then return {'conflict', current} end
local target = ARGV[2]
local etype, emessage = ARGV[5], ARGV[7]
local diverted = ARGV[3] ~= '' and redis.call('HEXISTS', KEYS[1], 'destroyRequested') == 1
if diverted then
  -- The recorded destroy wins: the step's own patch and event no longer describe what happens.
  target = ARGV[3]
  etype = 'destroying'
  emessage = 'a destroy was requested meanwhile; tearing down instead of: ' .. ARGV[7]
end
local id = cjson.decode(redis.call('HGET', KEYS[1], 'id'))
if not diverted then
  for i = 11, #ARGV, 2 do
    if ARGV[i + 1] == '' then redis.call('HDEL', KEYS[1], ARGV[i])
    else redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
  end
end
redis.call('HSET', KEYS[1], 'updatedAt', cjson.encode(ARGV[4]))
local state = current
if target ~= '' then
  state = target
  redis.call('HSET', KEYS[1], 'state', cjson.encode(target))
  redis.call('SREM', ARGV[9] .. current, id)
  redis.call('SADD', ARGV[9] .. target, id)
end
local eid = redis.call('XADD', KEYS[2], 'MAXLEN', '~', 10000, '*',
  'type', etype, 'actor', ARGV[6], 'message', emessage, 'data', ARGV[8], 'at', ARGV[4], 'state', state)
if state == 'destroying' or state == 'destroyed' then
  -- Access secrets die with the environment (the field name is SEALED_ACCESS in environmentStore.ts).
  redis.call('HDEL', KEYS[1], 'sealedAccess')
end
if state == 'destroyed' then
  redis.call('EXPIRE', KEYS[1], tonumber(ARGV[10]))
  redis.call('EXPIRE', KEYS[2], tonumber(ARGV[10]))
  redis.call('SREM', ARGV[9] .. 'destroyed', id)
end
return {'ok', current, state, eid}
`;

/** KEYS: token names (name → hash), tokens (hash → record), last use (name → time). ARGV[1] name.
 *  One step, so a revoked token cannot authenticate one more request. */
export const REVOKE_TOKEN = `
local h = redis.call('HGET', KEYS[1], ARGV[1])
if not h then return 0 end
redis.call('HDEL', KEYS[2], h)
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
return 1
`;

/** KEYS: lock. ARGV: owner token. Deletes the lock only if this owner still holds it (it may
 *  have expired and been taken by another). */
export const RELEASE_LOCK = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;
