/**
 * The Lua scripts of the Upstash hot tier. Over REST there is no WATCH, so every read-then-write is one
 * script: atomic, and one round trip. All keys of a run share a hash tag, so the scripts stay on one slot —
 * except the outbox (one sorted set for all runs): scripts that touch it assume a single-shard Redis, as an
 * Upstash database is. On a Redis Cluster they would fail with CROSSSLOT; it would need an outbox per slot.
 *
 * A run's versions are a delta chain (lib/tiers/chain.ts): the `chain` LIST holds, as JSON records, the whole
 * state the chain starts from and each patch on it up to the head; the `head` HASH holds what the compare-and-
 * set needs (version, hash, and `chained` = 1). A save of a patch appends one element, a whole state replaces
 * the list: what a step sends and stores is its change. A head written before chains existed is a HASH with the
 * whole record in it (fields version, hash, checkpoint, encoding, payload, sizeBytes, savedAt) and no list:
 * `LOAD_LUA` still answers it, and a patch onto it answers 'base_changed' (the caller saves whole).
 * Receipt hash fields: fingerprint, receipt (JSON of the SaveReceipt).
 *
 * Undo of a `keepPrevious` save (what `revert` restores), kept in O(1) whatever the size of the run — never a
 * copy of the chain, which made every durable step cost the whole run in Redis work and memory:
 * - a link appended to the chain: `prev` is a small HASH {undo = 'pop', version, hash, links} (the replaced
 *   head's version and hash, the chain's length with the link); revert pops the link and puts them back;
 * - a whole state replacing the chain (or a head of the older layout): the replaced head and chain are RENAMEd
 *   to `prev` and `prevchain`; revert renames them back.
 * A `prev` without an `undo` field is a replaced head renamed (or, written by an earlier version, COPYed) aside.
 */

/** `head` (HASH) and `chain` (LIST) as the chain ending at a head of version ARGV[v], hash ARGV[v + 1]. */
const WRITE_HEAD = `
local function write_head(head, chain, v, element, whole, ttl_ms)
  redis.call('DEL', head)
  redis.call('HSET', head, 'version', ARGV[v], 'hash', ARGV[v + 1], 'chained', '1')
  redis.call('PEXPIRE', head, ttl_ms)
  -- UNLINK: a replaced chain is freed off the script's path (it is as big as the run).
  if whole then redis.call('UNLINK', chain) end
  redis.call('RPUSH', chain, element)
  redis.call('PEXPIRE', chain, ttl_ms)
end
`;

/**
 * KEYS: head, prev, receipts, sealed, chain, prevchain, [receipt when ARGV[12] is given],
 *       [outbox when ARGV[10] is not ''].
 * ARGV: 1 version, 2 hash, 3 format ('state' | 'patch'), 4 the record as JSON (the chain element), 5 savedAt,
 *       6 ttl ms, 7 knownHead ('' = none), 8 keepPrevious ('1'/'0'), 9 prev ttl ms, 10 outbox member
 *       ('' = not pendingDurable), 11 base hash ('' = unchecked), 12 fingerprint, 13 receipt JSON,
 *       14 receipt ttl ms.
 * Returns {'saved'} | {'conflict', current} | {'head_unknown'} | {'replayed', receiptJson} |
 *         {'idempotency_mismatch'} | {'sealed'} | {'base_changed'}.
 * The outbox key is passed only by a pendingDurable save, so a durable save stays on the run's slot.
 */
export const SAVE_LUA = `${WRITE_HEAD}
local head, prev, receipts, sealed, chain, prevchain = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local receipt = ARGV[12] and KEYS[7] or nil
local outbox = ARGV[10] ~= '' and KEYS[#KEYS] or nil
if receipt then
  local fingerprint = redis.call('HGET', receipt, 'fingerprint')
  if fingerprint then
    if fingerprint == ARGV[12] then return {'replayed', redis.call('HGET', receipt, 'receipt')} end
    return {'idempotency_mismatch'}
  end
end
-- A completed run is final: its seal outlives the head (a later promotion must not reopen it).
if redis.call('EXISTS', sealed) == 1 then return {'sealed'} end
local current = redis.call('HGET', head, 'version')
if not current then
  if ARGV[7] == '' then return {'head_unknown'} end
  current = ARGV[7]
end
if tonumber(current) ~= tonumber(ARGV[1]) - 1 then return {'conflict', current} end
-- The content the caller built on (from its cache, or a patch's base) must be the head's, not just its number.
if ARGV[11] ~= '' and redis.call('HGET', head, 'hash') ~= ARGV[11] then return {'base_changed'} end
local whole = ARGV[3] ~= 'patch'
-- A patch is a link onto the chain of that head: a head without one (written before chains) cannot take it.
if not whole and (ARGV[11] == '' or redis.call('EXISTS', chain) == 0) then return {'base_changed'} end
-- prev/prevchain must always be the undo of this save, or absent: revert applies them blindly.
redis.call('UNLINK', prev, prevchain)
if ARGV[8] == '1' and redis.call('EXISTS', head) == 1 then
  if whole then
    -- The replaced head and chain are set aside as they are (O(1)); write_head then starts new ones.
    redis.call('RENAME', head, prev)
    redis.call('PEXPIRE', prev, ARGV[9])
    if redis.call('EXISTS', chain) == 1 then
      redis.call('RENAME', chain, prevchain)
      redis.call('PEXPIRE', prevchain, ARGV[9])
    end
  else
    -- One link is appended: undoing it is popping it and putting the replaced head's version and hash back.
    local replaced = redis.call('HMGET', head, 'version', 'hash')
    redis.call('HSET', prev, 'undo', 'pop', 'version', replaced[1], 'hash', replaced[2],
      'links', redis.call('LLEN', chain) + 1)
    redis.call('PEXPIRE', prev, ARGV[9])
  end
end
write_head(head, chain, 1, ARGV[4], whole, ARGV[6])
if receipt then
  local ttl = tonumber(ARGV[14])
  redis.call('HSET', receipt, 'fingerprint', ARGV[12], 'receipt', ARGV[13])
  redis.call('PEXPIRE', receipt, ttl)
  -- The set lets delete find the receipts without a SCAN; it lives as long as its longest receipt.
  redis.call('SADD', receipts, receipt)
  if redis.call('PTTL', receipts) < ttl then redis.call('PEXPIRE', receipts, ttl) end
end
-- No TTL: the entry is the record that this head is not durable yet, and stays until a drain acks it.
if outbox then redis.call('ZADD', outbox, ARGV[5], ARGV[10]) end
return {'saved'}
`;

/**
 * KEYS: head, chain. ARGV (optional): 1 the last element of the chain the caller rebuilt before, 2 that chain's
 * length. Returns {'same'} when the chain still ends with that element at that length (the caller's rebuilt head
 * stands: upstash-head-cache.ts), {'chain', {element, …}} for a chained head, {'head', {field, value, …}} for a
 * head written before chains (empty when the run has no hot copy). One round trip either way.
 */
export const LOAD_LUA = `
if ARGV[1] and redis.call('LLEN', KEYS[2]) == tonumber(ARGV[2]) and redis.call('LINDEX', KEYS[2], -1) == ARGV[1] then
  return {'same'}
end
local chain = redis.call('LRANGE', KEYS[2], 0, -1)
if #chain > 0 then return {'chain', chain} end
return {'head', redis.call('HGETALL', KEYS[1])}
`;

/** KEYS: head, chain. ARGV: 1 version, 2 hash, 3 the whole record as JSON, 4 ttl ms. Returns 1 when written. */
export const PROMOTE_LUA = `${WRITE_HEAD}
local current = redis.call('HGET', KEYS[1], 'version')
if current and tonumber(current) >= tonumber(ARGV[1]) then return 0 end
write_head(KEYS[1], KEYS[2], 1, ARGV[3], true, ARGV[4])
return 1
`;

/** KEYS: head, prev, receipts, chain, prevchain, [receipt]. ARGV: version, hash. Returns 1 when reverted. */
export const REVERT_LUA = `
local head, prev, receipts, chain, prevchain, receipt = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local current = redis.call('HMGET', head, 'version', 'hash')
if not current[1] or tonumber(current[1]) ~= tonumber(ARGV[1]) or current[2] ~= ARGV[2] then return 0 end
local undo = redis.call('HMGET', prev, 'undo', 'version', 'hash', 'links')
if undo[1] == 'pop' then
  -- The save appended one link: pop it (the chain must still end with it) and restore the replaced version.
  if redis.call('LLEN', chain) == tonumber(undo[4]) then
    redis.call('RPOP', chain)
    redis.call('HSET', head, 'version', undo[2], 'hash', undo[3])
    redis.call('DEL', prev)
  else
    -- Not the chain the save left: what it replaced cannot be told, so no copy beats a wrong one.
    redis.call('DEL', head, chain, prev, prevchain)
  end
elseif redis.call('EXISTS', prev) == 1 then
  -- The restored head keeps the TTL of the head it replaces, not the short TTL of prev.
  local ttl = redis.call('PTTL', head)
  redis.call('RENAME', prev, head)
  if ttl > 0 then redis.call('PEXPIRE', head, ttl) end
  if redis.call('EXISTS', prevchain) == 1 then
    redis.call('RENAME', prevchain, chain)
    if ttl > 0 then redis.call('PEXPIRE', chain, ttl) end
  else
    redis.call('DEL', chain)
  end
else
  redis.call('DEL', head, chain, prevchain)
end
if receipt then
  redis.call('DEL', receipt)
  redis.call('SREM', receipts, receipt)
end
return 1
`;

/**
 * KEYS: head, prev, receipts, outbox, sealed, chain, prevchain. ARGV: the run's outbox member.
 * Deletes the receipts listed in the set (same hash tag), in chunks for unpack, the seal, the chains and the
 * run's outbox entry.
 */
export const DELETE_LUA = `
local members = redis.call('SMEMBERS', KEYS[3])
for i = 1, #members, 500 do
  redis.call('DEL', unpack(members, i, math.min(i + 499, #members)))
end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[5], KEYS[6], KEYS[7])
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
