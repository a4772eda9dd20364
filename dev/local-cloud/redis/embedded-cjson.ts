import type { LuaState } from './fengari';
import { fengari } from './fengari';

const { lua, to_luastring } = fengari;

/** The value of `cjson.null`: a light userdata, as in Redis. */
const CJSON_NULL = Symbol('cjson.null');

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Formats a number as Redis's cjson does (`%.14g`). */
function formatNumber(value: number): string {
  if (!Number.isFinite(value)) throw new Error('Cannot serialise number: must not be NaN or Inf');
  return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(14)));
}

/** Reads the Lua value at an absolute stack index as JSON text, following cjson's rules. */
function encodeAt(L: LuaState, index: number, depth: number): string {
  if (depth > 1000) throw new Error('Cannot serialise, excessive nesting (1001)');
  const type = lua.lua_type(L, index);
  if (type === lua.LUA_TNIL) return 'null';
  if (type === lua.LUA_TBOOLEAN) return lua.lua_toboolean(L, index) ? 'true' : 'false';
  if (type === lua.LUA_TNUMBER) return formatNumber(lua.lua_tonumber(L, index));
  if (type === lua.LUA_TSTRING) {
    return JSON.stringify(lua.lua_tojsstring(L, index)).replace(/\//g, '\\/');
  }
  if (type === lua.LUA_TLIGHTUSERDATA && lua.lua_touserdata(L, index) === CJSON_NULL) return 'null';
  if (type !== lua.LUA_TTABLE) throw new Error('Cannot serialise: type not supported');
  const entries: [key: string | number, json: string][] = [];
  lua.lua_pushnil(L);
  while (lua.lua_next(L, index) !== 0) {
    const keyType = lua.lua_type(L, -2);
    if (keyType !== lua.LUA_TNUMBER && keyType !== lua.LUA_TSTRING) {
      throw new Error('Cannot serialise table: table key must be a number or string');
    }
    const key = keyType === lua.LUA_TNUMBER ? lua.lua_tonumber(L, -2) : lua.lua_tojsstring(L, -2);
    entries.push([key, encodeAt(L, lua.lua_gettop(L), depth + 1)]);
    lua.lua_pop(L, 1);
  }
  const isArray =
    entries.length > 0 &&
    entries.every(([key]) => typeof key === 'number' && Number.isInteger(key) && key >= 1) &&
    Math.max(...entries.map(([key]) => Number(key))) === entries.length;
  if (isArray) {
    const items = [...entries].sort(([a], [b]) => Number(a) - Number(b)).map(([, json]) => json);
    return `[${items.join(',')}]`;
  }
  const fields = entries.map(([key, json]) => {
    const name = typeof key === 'number' ? formatNumber(key) : key;
    return `${JSON.stringify(name).replace(/\//g, '\\/')}:${json}`;
  });
  return `{${fields.join(',')}}`;
}

/** Pushes a parsed JSON value as cjson decodes it: numbers as floats, null as `cjson.null`. */
function pushJson(L: LuaState, value: Json): void {
  if (value === null) lua.lua_pushlightuserdata(L, CJSON_NULL);
  else if (typeof value === 'boolean') lua.lua_pushboolean(L, value);
  else if (typeof value === 'number') lua.lua_pushnumber(L, value);
  else if (typeof value === 'string') lua.lua_pushstring(L, to_luastring(value));
  else if (Array.isArray(value)) {
    lua.lua_createtable(L, value.length, 0);
    value.forEach((item, position) => {
      pushJson(L, item);
      lua.lua_rawseti(L, -2, position + 1);
    });
  } else {
    lua.lua_createtable(L, 0, 0);
    for (const [key, item] of Object.entries(value)) {
      pushJson(L, item);
      lua.lua_setfield(L, -2, to_luastring(key));
    }
  }
}

/** Raises a Lua error with the message of anything thrown. */
function raise(L: LuaState, error: unknown): never {
  lua.lua_pushstring(L, to_luastring(error instanceof Error ? error.message : String(error)));
  return lua.lua_error(L);
}

/** Sets the global `cjson` table (`encode`, `decode`, `null`) of Redis scripts. */
export function openCjson(L: LuaState): void {
  lua.lua_createtable(L, 0, 3);
  lua.lua_pushjsfunction(L, (state) => {
    let json: string;
    try {
      json = encodeAt(state, 1, 0);
    } catch (error) {
      return raise(state, error);
    }
    lua.lua_pushstring(state, to_luastring(json));
    return 1;
  });
  lua.lua_setfield(L, -2, to_luastring('encode'));
  lua.lua_pushjsfunction(L, (state) => {
    let value: Json;
    try {
      value = JSON.parse(lua.lua_tojsstring(state, 1)) as Json;
    } catch {
      return raise(state, new Error('Expected value but found invalid token at character 1'));
    }
    pushJson(state, value);
    return 1;
  });
  lua.lua_setfield(L, -2, to_luastring('decode'));
  lua.lua_pushlightuserdata(L, CJSON_NULL);
  lua.lua_setfield(L, -2, to_luastring('null'));
  lua.lua_setglobal(L, to_luastring('cjson'));
}
