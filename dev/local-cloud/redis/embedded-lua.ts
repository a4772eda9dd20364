import type { RedisReply } from './engine';

/*
 * ioredis-mock runs EVAL in fengari (Lua 5.3) with a thin `redis` object that differs from
 * Redis's: `redis.call` hands back JavaScript arrays (nested ones indexed from 0) and
 * JavaScript `null` instead of Lua `false`, integers arrive as floats, and replies are not
 * converted the way Redis converts them. fengari's integers are also 32-bit, so larger whole
 * numbers (millisecond timestamps) are Lua floats and must be formatted without exponent.
 * The prelude below, prepended to every script on its first line (so error line numbers stay
 * the script's own), restores Redis's semantics on both sides: Lua tables with `false` for
 * nil, whole numbers, string arguments, `err` / `ok` tables, `error_reply` / `status_reply`.
 */
const REPLY_ERROR = '@@stratus-reply-error@@';
const CALL_ERROR = '@@stratus-call-error@@';

const PRELUDE = [
  // Lua 5.1 as scripts see it on Redis: `unpack` global, no `table.unpack`/`table.pack`,
  // whole floats printed without `.0`, and globals read-only. The state may be reused, so
  // the originals are kept once, in the registry.
  'local __reg = debug.getregistry()',
  'if not __reg.__stratus51 then __reg.__stratus51 = { unpack = table.unpack, pack = table.pack, tostring = tostring } end',
  'local __unpack, __pack, __tostring = __reg.__stratus51.unpack, __reg.__stratus51.pack, __reg.__stratus51.tostring',
  'table.unpack = nil table.pack = nil',
  "rawset(_G, 'unpack', __unpack)",
  "rawset(_G, 'tostring', function(v) if math.type(v) == 'float' and v == math.floor(v) and math.abs(v) < 2^53 then return string.format('%d', math.tointeger(v)) end return __tostring(v) end)",
  "setmetatable(_G, { __newindex = function() error('Attempt to modify a readonly table', 2) end })",
  // fengari-interop's JavaScript null, kept in the registry under a light-userdata key.
  'local __null',
  "for k, v in pairs(debug.getregistry()) do if type(k) == 'userdata' and __tostring(v) == 'null' then __null = v end end",
  'local function __fix(v, nested)',
  '  if v == nil or v == __null then return false end',
  "  if type(v) == 'number' then return math.tointeger(v) or v end",
  "  if type(v) ~= 'userdata' then return v end",
  '  local t = {}',
  '  if nested then for i = 1, math.tointeger(v.length) or 0 do t[i] = __fix(v[i - 1], true) end',
  '  else for i = 1, math.tointeger(#v) or 0 do t[i] = __fix(v[i], true) end end',
  '  return t',
  'end',
  'local function __arg(a)',
  "  if math.type(a) == 'float' and a == math.floor(a) and math.abs(a) < 2^53 then return string.format('%.0f', a) end",
  "  if math.type(a) == 'float' then return string.format('%.17g', a) end",
  "  if math.type(a) == 'integer' then return string.format('%d', a) end",
  '  return a',
  'end',
  'local function __message(e)',
  "  if type(e) == 'userdata' then return tostring(e.message) end",
  '  return tostring(e)',
  'end',
  'local __call = redis.call',
  'redis.call = function(...)',
  '  local a = __pack(...)',
  '  for i = 1, a.n do a[i] = __arg(a[i]) end',
  '  local ok, r = pcall(__call, __unpack(a, 1, a.n))',
  `  if not ok then error('${CALL_ERROR}' .. __message(r), 2) end`,
  '  return __fix(r)',
  'end',
  'redis.pcall = function(...)',
  '  local ok, r = pcall(redis.call, ...)',
  '  if ok then return r end',
  '  local m = __message(r)',
  `  local _, e = string.find(m, '${CALL_ERROR}', 1, true)`,
  '  return { err = e and string.sub(m, e + 1) or m }',
  'end',
  'redis.error_reply = function(m) return { err = m } end',
  'redis.status_reply = function(m) return { ok = m } end',
  'redis.log = function() end',
  'redis.setresp = function() end',
  'redis.set_repl = function() end',
  'redis.replicate_commands = function() return true end',
  'local function __reply(v, nested)',
  '  if v == nil or v == false then return false end',
  '  if v == true then return 1 end',
  "  if type(v) == 'number' then if v >= 0 then return math.floor(v) end return math.ceil(v) end",
  "  if type(v) == 'string' then return v end",
  "  if type(v) ~= 'table' then return false end",
  "  if type(v.err) == 'string' then",
  '    if nested then return v.err end',
  `    error('${REPLY_ERROR}' .. v.err, 0)`,
  '  end',
  "  if type(v.ok) == 'string' then return v.ok end",
  '  local out, n = {}, 0',
  '  while v[n + 1] ~= nil do n = n + 1 end',
  // ioredis-mock reads a table as an array only if its keys were inserted last to first.
  '  for i = n, 1, -1 do out[i] = __reply(v[i], true) end',
  '  return out',
  'end',
].join(' ');

/** The Lua that ioredis-mock runs for a script body (its shebang line already emptied). */
export function toMockLua(body: string): string {
  return `${PRELUDE} return __reply((function(...) ${body}\nend)())`;
}

/**
 * Refuses what Lua 5.3 parses but Redis's Lua 5.1 does not (`//`, bitwise operators), with
 * Redis's compile error. Strings and comments are blanked first so their text never counts.
 */
export function checkLua51Syntax(body: string): void {
  const code = body
    .replace(/--\[(=*)\[[\s\S]*?\]\1\]/g, (c) => c.replace(/[^\n]/g, ' '))
    .replace(/\[(=*)\[[\s\S]*?\]\1\]/g, (c) => c.replace(/[^\n]/g, ' '))
    .replace(/"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'/g, (c) => ' '.repeat(c.length))
    .replace(/--[^\n]*/g, (c) => ' '.repeat(c.length));
  const found = /\/\/|<<|>>|[&|]|~(?!=)/.exec(code);
  if (!found) return;
  const line = code.slice(0, found.index).split('\n').length;
  throw new Error(
    `ERR Error compiling script (new function): user_script:${line}: unexpected symbol near '${found[0][0]}'`,
  );
}

/** A value ioredis-mock's EVAL resolved with, as the Redis reply it stands for. */
export function fromMockLua(value: unknown): RedisReply {
  if (Array.isArray(value)) return value.map(fromMockLua);
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? Math.trunc(value) : 0;
  return null;
}

const VM_PREFIX = 'Error trying to loading or executing lua code string in VM: ';

/** ioredis-mock's EVAL error, worded like Redis 7's (`user_script:<line>`, script SHA). */
export function mockLuaError(error: unknown, sha: string): string {
  const raw = error instanceof Error ? error.message : String(error);
  const text = raw.startsWith(VM_PREFIX) ? raw.slice(VM_PREFIX.length) : raw;
  const replied = text.indexOf(REPLY_ERROR);
  if (replied !== -1) return text.slice(replied + REPLY_ERROR.length);
  const located = /^\[string ".*?"\]:(\d+): ([\s\S]*)$/.exec(text);
  const line = located?.[1];
  const message = located?.[2] ?? text;
  const where = line ? ` script: ${sha}, on @user_script:${line}.` : ` script: ${sha}`;
  const called = message.indexOf(CALL_ERROR);
  if (called !== -1) {
    const callMessage = message.slice(called + CALL_ERROR.length);
    return `${/^[A-Z]+ /.test(callMessage) ? callMessage : `ERR ${callMessage}`}${where}`;
  }
  return line ? `ERR user_script:${line}: ${message}${where}` : `ERR ${message}${where}`;
}
