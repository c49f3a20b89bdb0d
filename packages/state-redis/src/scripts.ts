import type { Redis } from 'ioredis';

/**
 * Server-side scripts. Registered once per client with `defineCommand`: ioredis sends the text with EVAL the
 * first time on a connection and EVALSHA afterwards. Single-node only: a script touching several keys would
 * need them in one hash slot on a cluster.
 *
 * Data layout (contrib's `state.redis`): one hash per state key with `data` (the value bytes), `version`
 * (integer, bumped by one per write; the ETag is its decimal text) and `first-write` (marker `0`, written by
 * writes that asked for first-write concurrency; we write it for layout compatibility but never read it).
 */

/** Arguments per operation of the write script, after the key (which goes in KEYS). */
export const WRITE_ARGS_PER_OP = 5;

/**
 * Applies N set/delete operations atomically: first replays them against the current versions (simulated,
 * so later operations see the effect of earlier ones on the same key) and refuses the whole batch on the
 * first failed check; only then writes. Redis runs a script without interleaving, so this is all-or-nothing.
 *
 * KEYS[i]      state key of operation i
 * ARGV[5i-4]   'set' | 'delete'
 * ARGV[5i-3]   expected version ('' = unguarded)
 * ARGV[5i-2]   '1' when the caller asked for first-write concurrency
 * ARGV[5i-1]   TTL seconds: > 0 EXPIRE, otherwise PERSIST (sets only)
 * ARGV[5i]     value bytes (sets only)
 * Errors: `DAPRKIT_ETAG <i>` (version differs or key missing), `DAPRKIT_EXISTS <i>` (first-write, key present).
 */
const WRITE_SCRIPT = `
local version, exists = {}, {}
for i, key in ipairs(KEYS) do
  local base = (i - 1) * 5
  if version[key] == nil then
    local v = redis.pcall('HGET', key, 'version')
    if type(v) ~= 'string' then v = false end
    version[key] = v
    exists[key] = redis.call('EXISTS', key) == 1
  end
  local expected = ARGV[base + 2]
  if expected ~= '' then
    if version[key] ~= expected then return redis.error_reply('DAPRKIT_ETAG ' .. i) end
  elseif ARGV[base + 3] == '1' and exists[key] then
    return redis.error_reply('DAPRKIT_EXISTS ' .. i)
  end
  if ARGV[base + 1] == 'set' then
    version[key] = tostring((tonumber(version[key]) or 0) + 1)
    exists[key] = true
  else
    version[key] = false
    exists[key] = false
  end
end
for i, key in ipairs(KEYS) do
  local base = (i - 1) * 5
  if ARGV[base + 1] == 'set' then
    if type(redis.pcall('HSET', key, 'data', ARGV[base + 5])) ~= 'number' then
      redis.call('DEL', key)
      redis.call('HSET', key, 'data', ARGV[base + 5])
    end
    if ARGV[base + 3] == '1' then redis.call('HSET', key, 'first-write', 0) end
    redis.call('HINCRBY', key, 'version', 1)
    local ttl = tonumber(ARGV[base + 4])
    if ttl > 0 then redis.call('EXPIRE', key, ttl) else redis.call('PERSIST', key) end
  else
    redis.call('DEL', key)
  end
end
return #KEYS
`;

/** Entries per key in the read script's reply. */
export const READ_FIELDS_PER_KEY = 4;

/** Read-script status per key. */
export const ReadStatus = { Missing: 0, Hash: 1, PlainString: 2, Unreadable: 3 } as const;

/**
 * Reads N keys in one round trip: per key `status, data, version, pttl` (see ReadStatus; `version` 0 and
 * `data` '' when absent; `pttl` -1 when the key does not expire). A plain string (legacy layout, WRONGTYPE
 * for HMGET) is returned as data without a version.
 */
const READ_SCRIPT = `
local out = {}
local function push(status, data, version, pttl)
  out[#out + 1] = status; out[#out + 1] = data; out[#out + 1] = version; out[#out + 1] = pttl
end
for _, key in ipairs(KEYS) do
  local pttl = redis.call('PTTL', key)
  if pttl == -2 then
    push(0, '', 0, -1)
  else
    local fields = redis.pcall('HMGET', key, 'data', 'version')
    if fields.err == nil then
      local version = fields[2] and tonumber(fields[2])
      if fields[1] and version then push(1, fields[1], version, pttl) else push(3, '', 0, -1) end
    else
      local value = redis.pcall('GET', key)
      if type(value) == 'string' then push(2, value, 0, pttl) else push(3, '', 0, -1) end
    end
  end
end
return out
`;

type Arg = string | number | Buffer;

/** The client with our scripts registered. Both take `numkeys, ...keys, ...args`; arrays are spread by ioredis. */
export interface ScriptedRedis extends Redis {
  stateWrite(...args: (Arg | readonly Arg[])[]): Promise<number>;
  stateReadBuffer(...args: (Arg | readonly Arg[])[]): Promise<(number | Buffer)[]>;
}

export function registerScripts(client: Redis): ScriptedRedis {
  client.defineCommand('stateWrite', { lua: WRITE_SCRIPT });
  client.defineCommand('stateRead', { lua: READ_SCRIPT, readOnly: true });
  return client as ScriptedRedis;
}
