import { createHash } from 'node:crypto';
import { openCjson } from './embedded-cjson';
import type { RedisCommand, RedisReply } from './engine';
import { errorMessage } from './engine';
import type { LuaState } from './fengari';
import { fengari } from './fengari';

const { lua, lauxlib, lualib, to_luastring } = fengari;

/*
 * Scripts run on fengari (Lua 5.3) as a coroutine: `redis.call` yields the command, the
 * engine runs it through the same path as a direct command (checks, errors, replies) and
 * resumes the script with the reply. The prelude below makes the dialect Redis's Lua 5.1 as
 * far as scripts can tell: `unpack` global, no `table.unpack` / `table.pack`, whole floats
 * printed without `.0` (fengari's integers are 32-bit, so larger whole numbers are floats),
 * and read-only globals.
 */
const PRELUDE = `
local token, note, sha1hex = ...
local yield, unpack, pack, tostring_ = coroutine.yield, table.unpack, table.pack, tostring
local mtype, floor, abs, format = math.type, math.floor, math.abs, string.format
table.unpack = nil table.pack = nil
_G.unpack = unpack
local function whole(v) return mtype(v) == 'float' and v == floor(v) and abs(v) < 2^53 end
_G.tostring = function(v) if whole(v) then return format('%d', math.tointeger(v) or v) end return tostring_(v) end
local function arg(a)
  if whole(a) then return format('%.0f', a) end
  if mtype(a) == 'float' then return format('%.17g', a) end
  if mtype(a) == 'integer' then return format('%d', a) end
  if type(a) == 'string' then return a end
  error('Lua redis lib command arguments must be strings or integers', 3)
end
local function call(raise, ...)
  local a = pack(...)
  if a.n == 0 then error('Please specify at least one argument for this redis lib call', 3) end
  for i = 1, a.n do a[i] = arg(a[i]) end
  local ok, reply = yield(token, unpack(a, 1, a.n))
  if ok then return reply end
  if not raise then return { err = reply } end
  local level, info = 3, debug.getinfo(3, 'Sl')
  while info and info.short_src ~= 'user_script' do level = level + 1 info = debug.getinfo(level, 'Sl') end
  note(info and info.currentline or -1)
  error(reply, 0)
end
local redis = {
  call = function(...) local r = call(true, ...) return r end,
  pcall = function(...) local r = call(false, ...) return r end,
  sha1hex = sha1hex,
  error_reply = function(m) return { err = m } end,
  status_reply = function(m) return { ok = m } end,
  log = function() end, setresp = function() end, set_repl = function() end,
  replicate_commands = function() return true end, breakpoint = function() return false end,
  debug = function() end,
  LOG_DEBUG = 0, LOG_VERBOSE = 1, LOG_NOTICE = 2, LOG_WARNING = 3,
  REPL_NONE = 0, REPL_AOF = 1, REPL_SLAVE = 2, REPL_REPLICA = 2, REPL_ALL = 3,
}
_G.redis = redis
setmetatable(_G, {
  __newindex = function() error('Attempt to modify a readonly table', 2) end,
  __index = function(_, k) error("Script attempted to access nonexistent global variable '" .. tostring_(k) .. "'", 2) end,
})
`;

/** What {@link runScript} needs: the body (shebang line emptied) and how to run a command. */
export interface ScriptRun {
  body: string;
  sha: string;
  keys: string[];
  argv: string[];
  /** Runs a command of `redis.call`; throws an `Error` whose message is Redis's error reply. */
  run: (command: RedisCommand) => Promise<RedisReply>;
}

const CALL = Symbol('redis.call');

function pushStrings(L: LuaState, values: string[]): void {
  lua.lua_createtable(L, values.length, 0);
  values.forEach((value, position) => {
    lua.lua_pushstring(L, to_luastring(value));
    lua.lua_rawseti(L, -2, position + 1);
  });
}

/** A reply as `redis.call` hands it to Lua: nil as `false`, arrays as tables. */
function pushReply(L: LuaState, reply: RedisReply): void {
  if (reply === null) lua.lua_pushboolean(L, false);
  else if (typeof reply === 'string') lua.lua_pushstring(L, to_luastring(reply));
  else if (typeof reply === 'number') {
    if (Number.isInteger(reply) && Math.abs(reply) < 2 ** 31) lua.lua_pushinteger(L, reply);
    else lua.lua_pushnumber(L, reply);
  } else {
    lua.lua_createtable(L, reply.length, 0);
    reply.forEach((item, position) => {
      pushReply(L, item);
      lua.lua_rawseti(L, -2, position + 1);
    });
  }
}

class ErrorReply extends Error {}

/** The Lua value at `index` as Redis converts a script's reply (`err` tables raise). */
function readReply(L: LuaState, index: number, nested: boolean): RedisReply {
  const type = lua.lua_type(L, index);
  if (type === lua.LUA_TBOOLEAN) return lua.lua_toboolean(L, index) ? 1 : null;
  if (type === lua.LUA_TNUMBER) return Math.trunc(lua.lua_tonumber(L, index));
  if (type === lua.LUA_TSTRING) return lua.lua_tojsstring(L, index);
  if (type !== lua.LUA_TTABLE) return null;
  if (lua.lua_getfield(L, index, to_luastring('err')) === lua.LUA_TSTRING) {
    const message = lua.lua_tojsstring(L, -1);
    lua.lua_pop(L, 1);
    if (nested) return message;
    throw new ErrorReply(message);
  }
  lua.lua_pop(L, 1);
  if (lua.lua_getfield(L, index, to_luastring('ok')) === lua.LUA_TSTRING) {
    const status = lua.lua_tojsstring(L, -1);
    lua.lua_pop(L, 1);
    return status;
  }
  lua.lua_pop(L, 1);
  const items: RedisReply[] = [];
  while (lua.lua_rawgeti(L, index, items.length + 1) !== lua.LUA_TNIL) {
    items.push(readReply(L, lua.lua_gettop(L), true));
    lua.lua_pop(L, 1);
  }
  lua.lua_pop(L, 1);
  return items;
}

/** The error a script ended with, worded like Redis 7's (`user_script:<line>`, script SHA). */
function scriptError(
  L: LuaState,
  sha: string,
  call: { message: string; line: number } | undefined,
) {
  if (lua.lua_type(L, -1) === lua.LUA_TTABLE) {
    try {
      readReply(L, lua.lua_gettop(L), false);
    } catch (error) {
      if (error instanceof ErrorReply) return error.message;
    }
    return `ERR Unknown Lua error script: ${sha}`;
  }
  const message = lua.lua_tojsstring(L, -1);
  if (call && message === call.message) {
    const where = call.line > 0 ? `, on @user_script:${call.line}.` : '';
    return `${message} script: ${sha}${where}`;
  }
  const line = /^user_script:(\d+): /.exec(message)?.[1];
  return line
    ? `ERR ${message} script: ${sha}, on @user_script:${line}.`
    : `ERR ${message} script: ${sha}`;
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

/**
 * Runs a script as Redis does, each `redis.call` going through `script.run`. Throws an
 * `Error` whose message is Redis's error reply.
 */
export async function runScript(script: ScriptRun): Promise<RedisReply> {
  checkLua51Syntax(script.body);
  const L = lauxlib.luaL_newstate();
  try {
    lualib.luaL_openlibs(L);
    lua.lua_pushstring(L, to_luastring('Lua 5.1'));
    lua.lua_setglobal(L, to_luastring('_VERSION'));
    pushStrings(L, script.keys);
    lua.lua_setglobal(L, to_luastring('KEYS'));
    pushStrings(L, script.argv);
    lua.lua_setglobal(L, to_luastring('ARGV'));
    openCjson(L);
    let failedCall: { message: string; line: number } | undefined;
    let lastError = '';
    const thread = lua.lua_newthread(L);
    lauxlib.luaL_loadbuffer(thread, to_luastring(PRELUDE), null, to_luastring('=prelude'));
    lua.lua_pushlightuserdata(thread, CALL);
    lua.lua_pushjsfunction(thread, (state) => {
      failedCall = { message: lastError, line: lua.lua_tonumber(state, 1) };
      return 0;
    });
    lua.lua_pushjsfunction(thread, (state) => {
      if (lua.lua_gettop(state) !== 1) {
        lua.lua_pushstring(state, to_luastring('wrong number of arguments'));
        return lua.lua_error(state);
      }
      const text = lua.lua_tojsstring(state, 1);
      lua.lua_pushstring(state, to_luastring(createHash('sha1').update(text).digest('hex')));
      return 1;
    });
    if (lua.lua_resume(thread, L, 3) !== lua.LUA_OK) {
      throw new Error(`ERR ${lua.lua_tojsstring(thread, -1)}`);
    }
    lua.lua_settop(thread, 0);
    const loaded = lauxlib.luaL_loadbuffer(
      thread,
      to_luastring(script.body),
      null,
      to_luastring('@user_script'),
    );
    if (loaded !== lua.LUA_OK) {
      throw new Error(
        `ERR Error compiling script (new function): ${lua.lua_tojsstring(thread, -1)}`,
      );
    }
    let resumeWith = 0;
    for (;;) {
      const status = lua.lua_resume(thread, L, resumeWith);
      if (status === lua.LUA_OK) {
        return lua.lua_gettop(thread) === 0 ? null : readReply(thread, 1, false);
      }
      if (status !== lua.LUA_YIELD) throw new Error(scriptError(thread, script.sha, failedCall));
      const top = lua.lua_gettop(thread);
      if (lua.lua_touserdata(thread, 1) !== CALL) {
        throw new Error(`ERR attempt to yield from outside a coroutine script: ${script.sha}`);
      }
      const command: string[] = [];
      for (let index = 2; index <= top; index++) command.push(lua.lua_tojsstring(thread, index));
      lua.lua_settop(thread, 0);
      try {
        const reply = await script.run(command as RedisCommand);
        lua.lua_pushboolean(thread, true);
        pushReply(thread, reply);
      } catch (error) {
        lastError = errorMessage(error);
        lua.lua_pushboolean(thread, false);
        lua.lua_pushstring(thread, to_luastring(lastError));
      }
      resumeWith = 2;
    }
  } catch (error) {
    if (error instanceof ErrorReply) throw new Error(error.message);
    throw error;
  } finally {
    lua.lua_close(L);
  }
}
