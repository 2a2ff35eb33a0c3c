/**
 * Lua scripts: each lifecycle step is one atomic update of the record, its indexes and its
 * event stream. Record fields are stored JSON-encoded, so Lua compares encoded states.
 */

/** KEYS: idempotency key ('' when none), record, byCreation, byState(requested), byTicket, events.
 *  ARGV: idempotency value, expiry seconds, createdAt ms, id, event fields (5), then field/value pairs. */
export const CREATE = `
if KEYS[1] ~= '' then
  local existing = redis.call('GET', KEYS[1])
  if existing then return {'exists', existing} end
  redis.call('SET', KEYS[1], ARGV[1], 'EX', tonumber(ARGV[2]))
end
local fields = {}
for i = 10, #ARGV do fields[#fields + 1] = ARGV[i] end
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
if state == 'destroyed' then
  redis.call('EXPIRE', KEYS[1], tonumber(ARGV[10]))
  redis.call('EXPIRE', KEYS[2], tonumber(ARGV[10]))
  redis.call('SREM', ARGV[9] .. 'destroyed', id)
end
return {'ok', current, state, eid}
`;
