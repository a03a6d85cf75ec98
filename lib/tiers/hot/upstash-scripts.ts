/**
 * The Lua scripts of the Upstash hot tier. Over REST there is no WATCH, so every read-then-write is one
 * script: atomic, and one round trip. All keys of a run share a hash tag, so the scripts stay on one slot —
 * except the outbox (one sorted set for all runs): scripts that touch it assume a single-shard Redis, as an
 * Upstash database is. On a Redis Cluster they would fail with CROSSSLOT; it would need an outbox per slot.
 *
 * Head hash fields: version, hash, checkpoint, encoding, payload, sizeBytes, savedAt.
 * Receipt hash fields: fingerprint, receipt (JSON of the SaveReceipt).
 */

/** `HSET head <fields from ARGV[i..i+6]>` then `PEXPIRE`, shared by save and promote. */
const WRITE_HEAD = `
local function write_head(head, i, ttl_ms)
  redis.call('DEL', head)
  redis.call('HSET', head, 'version', ARGV[i], 'hash', ARGV[i + 1], 'checkpoint', ARGV[i + 2],
    'encoding', ARGV[i + 3], 'payload', ARGV[i + 4], 'sizeBytes', ARGV[i + 5], 'savedAt', ARGV[i + 6])
  redis.call('PEXPIRE', head, ttl_ms)
end
`;

/**
 * KEYS: head, prev, receipts (SET of the run's receipt keys), sealed, [receipt when ARGV[14] is given],
 *       [outbox when ARGV[12] is not ''].
 * ARGV: 1-7 record, 8 ttl ms, 9 knownHead ('' = none), 10 keepPrevious ('1'/'0'), 11 prev ttl ms,
 *       12 outbox member ('' = not pendingDurable), 13 base hash ('' = unchecked), 14 fingerprint,
 *       15 receipt JSON, 16 receipt ttl ms.
 * Returns {'saved'} | {'conflict', current} | {'head_unknown'} | {'replayed', receiptJson} |
 *         {'idempotency_mismatch'} | {'sealed'} | {'base_changed'}.
 * The outbox key is passed only by a pendingDurable save, so a durable save stays on the run's slot.
 */
export const SAVE_LUA = `${WRITE_HEAD}
local head, prev, receipts, sealed = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local receipt = ARGV[14] and KEYS[5] or nil
local outbox = ARGV[12] ~= '' and KEYS[#KEYS] or nil
if receipt then
  local fingerprint = redis.call('HGET', receipt, 'fingerprint')
  if fingerprint then
    if fingerprint == ARGV[14] then return {'replayed', redis.call('HGET', receipt, 'receipt')} end
    return {'idempotency_mismatch'}
  end
end
-- A completed run is final: its seal outlives the head (a later promotion must not reopen it).
if redis.call('EXISTS', sealed) == 1 then return {'sealed'} end
local current = redis.call('HGET', head, 'version')
if not current then
  if ARGV[9] == '' then return {'head_unknown'} end
  current = ARGV[9]
end
if tonumber(current) ~= tonumber(ARGV[1]) - 1 then return {'conflict', current} end
-- A base taken from the caller's cache must be the head's content, not just its version number.
if ARGV[13] ~= '' and redis.call('HGET', head, 'hash') ~= ARGV[13] then return {'base_changed'} end
-- prev must always be the head this save replaced, or absent: revert restores it blindly.
if ARGV[10] == '1' and redis.call('EXISTS', head) == 1 then
  redis.call('COPY', head, prev, 'REPLACE')
  redis.call('PEXPIRE', prev, ARGV[11])
else
  redis.call('DEL', prev)
end
write_head(head, 1, ARGV[8])
if receipt then
  local ttl = tonumber(ARGV[16])
  redis.call('HSET', receipt, 'fingerprint', ARGV[14], 'receipt', ARGV[15])
  redis.call('PEXPIRE', receipt, ttl)
  -- The set lets delete find the receipts without a SCAN; it lives as long as its longest receipt.
  redis.call('SADD', receipts, receipt)
  if redis.call('PTTL', receipts) < ttl then redis.call('PEXPIRE', receipts, ttl) end
end
-- No TTL: the entry is the record that this head is not durable yet, and stays until a drain acks it.
if outbox then redis.call('ZADD', outbox, ARGV[7], ARGV[12]) end
return {'saved'}
`;

/** KEYS: head. ARGV: 1-7 record, 8 ttl ms. Returns 1 when written. */
export const PROMOTE_LUA = `${WRITE_HEAD}
local current = redis.call('HGET', KEYS[1], 'version')
if current and tonumber(current) >= tonumber(ARGV[1]) then return 0 end
write_head(KEYS[1], 1, ARGV[8])
return 1
`;

/** KEYS: head, prev, receipts, [receipt]. ARGV: version, hash. Returns 1 when reverted. */
export const REVERT_LUA = `
local head, prev, receipts, receipt = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local current = redis.call('HMGET', head, 'version', 'hash')
if not current[1] or tonumber(current[1]) ~= tonumber(ARGV[1]) or current[2] ~= ARGV[2] then return 0 end
if redis.call('EXISTS', prev) == 1 then
  -- The restored head keeps the TTL of the head it replaces, not the short TTL of prev.
  local ttl = redis.call('PTTL', head)
  redis.call('RENAME', prev, head)
  if ttl > 0 then redis.call('PEXPIRE', head, ttl) end
else
  redis.call('DEL', head)
end
if receipt then
  redis.call('DEL', receipt)
  redis.call('SREM', receipts, receipt)
end
return 1
`;

/**
 * KEYS: head, prev, receipts, outbox, sealed. ARGV: the run's outbox member.
 * Deletes the receipts listed in the set (same hash tag), in chunks for unpack, the seal and the run's outbox
 * entry.
 */
export const DELETE_LUA = `
local members = redis.call('SMEMBERS', KEYS[3])
for i = 1, #members, 500 do
  redis.call('DEL', unpack(members, i, math.min(i + 499, #members)))
end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[5])
redis.call('ZREM', KEYS[4], ARGV[1])
return 1
`;

/**
 * KEYS: outbox. ARGV: member, score, member, score, … Removes each member whose score is still the one
 * given (a pending save since re-scored it: it stays). Returns how many were removed.
 */
export const OUTBOX_ACK_LUA = `
local removed = 0
for i = 1, #ARGV, 2 do
  local score = redis.call('ZSCORE', KEYS[1], ARGV[i])
  if score and tonumber(score) == tonumber(ARGV[i + 1]) then
    removed = removed + redis.call('ZREM', KEYS[1], ARGV[i])
  end
end
return removed
`;
