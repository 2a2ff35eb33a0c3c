import type { Redis } from 'ioredis';

/**
 * Lua scripts: each lifecycle step is one atomic update of the record, its indexes and its
 * event stream. Record fields are stored JSON-encoded, so Lua compares encoded states.
 */

export type Script = (...args: Array<string | number>) => Promise<unknown>;

/**
 * Registers a script on this connection through ioredis's defineCommand: calls send EVALSHA,
 * and the source only when Redis does not hold it yet (after a restart or SCRIPT FLUSH).
 */
export function defineScript(redis: Redis, name: string, numberOfKeys: number, lua: string): Script {
  const commands = redis as unknown as Record<string, Script>;
  if (!commands[name]) redis.defineCommand(name, { numberOfKeys, lua });
  return (...args) => commands[name]!(...args);
}

/**
 * Shared by TRANSITION and REINDEX. P (JSON, indexPrefixes in environmentStore.ts) names the
 * index keys and which states are live (counted by quotas, kept in the expiry index) and
 * unsettled (waiting on a queue job, kept in the unsettled index).
 */
const INDEX_HELPERS = `
local function lookup(list)
  local t = {}
  for _, v in ipairs(list) do t[v] = true end
  return t
end
-- The quota sets of a live environment: keys.ts's liveOfRequester, liveVms, liveVmsOfRequester.
local function live_sets(P, requester, kind)
  local sets = {P.liveRequester .. requester}
  if kind == 'vm' then
    sets[#sets + 1] = P.liveVms
    sets[#sets + 1] = P.liveVmsRequester .. requester
  end
  return sets
end
`;

/** KEYS: 1 idempotency key ('' when none), 2 record, 3 byCreation, 4 byState(requested), 5 byTicket,
 *  6 events, 7 byRequester, 8 byExpiry, 9 unsettled, 10 liveOfRequester, 11 liveVms, 12 liveVmsOfRequester.
 *  ARGV: 1 idempotency value, 2 its expiry seconds, 3 createdAt ms, 4 id, 5..9 event fields, 10 quota
 *  checks (JSON [name, limit] pairs in order, '' for none), 11 expiresAt ms, 12 kind, 13.. field/value pairs.
 *  Quotas are counted from the live sets, kept in the same atomic steps as the states: two
 *  concurrent requests cannot both take the last place, and a create costs the same with 10 or
 *  10 000 live environments. Sets (not counters) so a repeated step cannot count twice. A ticket
 *  has few environments: its count is its set intersected with the live ones (ZINTERCARD). */
export const CREATE = `
if KEYS[1] ~= '' then
  local existing = redis.call('GET', KEYS[1])
  if existing then return {'exists', existing} end
end
if ARGV[10] ~= '' then
  local n = {
    overall = redis.call('ZCARD', KEYS[8]),
    perRequester = redis.call('SCARD', KEYS[10]),
    perTicket = redis.call('ZINTERCARD', 2, KEYS[5], KEYS[8]),
    vmOverall = redis.call('SCARD', KEYS[11]),
    vmPerRequester = redis.call('SCARD', KEYS[12]),
  }
  for _, check in ipairs(cjson.decode(ARGV[10])) do
    if n[check[1]] >= check[2] then return {'quota', check[1], tostring(check[2])} end
  end
end
if KEYS[1] ~= '' then redis.call('SET', KEYS[1], ARGV[1], 'EX', tonumber(ARGV[2])) end
local fields = {}
for i = 13, #ARGV do fields[#fields + 1] = ARGV[i] end
local id = ARGV[4]
redis.call('HSET', KEYS[2], unpack(fields))
redis.call('ZADD', KEYS[3], tonumber(ARGV[3]), id)
redis.call('ZADD', KEYS[4], tonumber(ARGV[3]), id)
redis.call('SADD', KEYS[5], id)
redis.call('ZADD', KEYS[7], tonumber(ARGV[3]), id)
redis.call('ZADD', KEYS[8], tonumber(ARGV[11]), id)
redis.call('ZADD', KEYS[9], tonumber(ARGV[3]), id)
redis.call('SADD', KEYS[10], id)
if ARGV[12] == 'vm' then
  redis.call('SADD', KEYS[11], id)
  redis.call('SADD', KEYS[12], id)
end
local eid = redis.call('XADD', KEYS[6], 'MAXLEN', '~', 10000, '*',
  'type', ARGV[5], 'actor', ARGV[6], 'message', ARGV[7], 'data', ARGV[8], 'at', ARGV[9], 'state', 'requested')
return {'ok', eid}
`;

/** KEYS: record, events.
 *  ARGV[1] JSON array of allowed current states; ARGV[2] target state ('' keeps the state);
 *  ARGV[3] state to go to instead when a destroy was requested meanwhile ('' for none); the patch is then skipped;
 *  ARGV[4] at; ARGV[5..8] event type, actor, message, data; ARGV[9] index prefixes (JSON P);
 *  ARGV[10] retention seconds once destroyed; ARGV[11] at in ms; ARGV[12] the patch's expiresAt in ms
 *  ('' when the patch leaves it); ARGV[13..] field/value pairs ('' value deletes). */
export const TRANSITION = INDEX_HELPERS + `
local raw = redis.call('HGET', KEYS[1], 'state')
if not raw then return {'missing'} end
local current = cjson.decode(raw)
local allowed = false
for _, s in ipairs(cjson.decode(ARGV[1])) do
  if s == current then allowed = true end
end
if not allowed then return {'conflict', current} end
local P = cjson.decode(ARGV[9])
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
  for i = 13, #ARGV, 2 do
    if ARGV[i + 1] == '' then redis.call('HDEL', KEYS[1], ARGV[i])
    else redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
  end
end
redis.call('HSET', KEYS[1], 'updatedAt', cjson.encode(ARGV[4]))
local state = current
if target ~= '' then
  state = target
  redis.call('HSET', KEYS[1], 'state', cjson.encode(target))
  redis.call('ZREM', P.state .. current, id)
  if target ~= 'destroyed' then
    local created = redis.call('ZSCORE', P.byCreation, id) or ARGV[11]
    redis.call('ZADD', P.state .. target, tonumber(created), id)
  end
end
local live, unsettled = lookup(P.liveStates), lookup(P.unsettledStates)
if live[state] then
  if ARGV[12] ~= '' and not diverted then redis.call('ZADD', P.byExpiry, tonumber(ARGV[12]), id) end
else
  redis.call('ZREM', P.byExpiry, id)
  local f = redis.call('HMGET', KEYS[1], 'requester', 'kind')
  if live[current] and f[1] and f[2] then
    for _, set in ipairs(live_sets(P, cjson.decode(f[1]), cjson.decode(f[2]))) do
      redis.call('SREM', set, id)
    end
  end
end
if unsettled[state] then redis.call('ZADD', P.unsettled, tonumber(ARGV[11]), id)
else redis.call('ZREM', P.unsettled, id) end
local eid = redis.call('XADD', KEYS[2], 'MAXLEN', '~', 10000, '*',
  'type', etype, 'actor', ARGV[6], 'message', emessage, 'data', ARGV[8], 'at', ARGV[4], 'state', state)
if state == 'destroying' or state == 'destroyed' then
  -- Access secrets die with the environment (the field name is SEALED_ACCESS in environmentStore.ts).
  redis.call('HDEL', KEYS[1], 'sealedAccess')
end
if state == 'destroyed' then
  redis.call('EXPIRE', KEYS[1], tonumber(ARGV[10]))
  redis.call('EXPIRE', KEYS[2], tonumber(ARGV[10]))
  -- Its listing and ticket index entries go when the record does (PRUNE, from the sweep).
  local f = redis.call('HMGET', KEYS[1], 'requester', 'ticket')
  if f[1] and f[2] then
    local t = cjson.decode(f[2])
    redis.call('ZADD', P.retired, tonumber(ARGV[11]) + tonumber(ARGV[10]) * 1000,
      cjson.encode({id, P.byRequester .. cjson.decode(f[1]), P.ticket .. t.system .. ':' .. t.id}))
  end
end
return {'ok', current, state, eid}
`;

/** ARGV[1] index prefixes (JSON P, with P.env the record key prefix), then per environment: id,
 *  createdAt ms, expiresAt ms, updatedAt ms (read beforehand). Adds records written before these
 *  indexes existed (the state, requester, expiry, unsettled and live indexes), each from its
 *  current state, atomically with it. NX: a score a step wrote
 *  since the read is newer than the one read. */
export const REINDEX = INDEX_HELPERS + `
local P = cjson.decode(ARGV[1])
local live, unsettled = lookup(P.liveStates), lookup(P.unsettledStates)
local added = 0
for i = 2, #ARGV, 4 do
  local id = ARGV[i]
  local f = redis.call('HMGET', P.env .. id, 'state', 'requester', 'kind')
  if f[1] and f[2] and f[3] then
    local state, requester, kind = cjson.decode(f[1]), cjson.decode(f[2]), cjson.decode(f[3])
    redis.call('ZADD', P.byRequester .. requester, 'NX', tonumber(ARGV[i + 1]), id)
    if state ~= 'destroyed' then redis.call('ZADD', P.state .. state, 'NX', tonumber(ARGV[i + 1]), id) end
    if live[state] then
      redis.call('ZADD', P.byExpiry, 'NX', tonumber(ARGV[i + 2]), id)
      for _, set in ipairs(live_sets(P, requester, kind)) do redis.call('SADD', set, id) end
    end
    if unsettled[state] then redis.call('ZADD', P.unsettled, 'NX', tonumber(ARGV[i + 3]), id) end
    added = added + 1
  end
end
return added
`;

/** KEYS: retired, byCreation. ARGV: now ms, most entries to remove, record key prefix.
 *  Removes the index entries of destroyed environments whose record has aged out, so indexes
 *  hold about the retained records, not every environment ever made. A record still there (its
 *  EXPIRE runs on Redis's clock) waits for a later sweep. */
export const PRUNE = `
local removed = 0
for _, m in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))) do
  local e = cjson.decode(m)
  if redis.call('EXISTS', ARGV[3] .. e[1]) == 0 then
    redis.call('ZREM', KEYS[2], e[1])
    redis.call('ZREM', e[2], e[1])
    redis.call('SREM', e[3], e[1])
    redis.call('ZREM', KEYS[1], m)
    removed = removed + 1
  end
end
return removed
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
