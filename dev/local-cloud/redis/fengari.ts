import { createRequire } from 'node:module';

/*
 * fengari, the Lua VM in JavaScript (the one ioredis-mock runs scripts on, pinned at the same
 * version). It ships no types: only the part of its C-like API the embedded engine uses is
 * typed here; indexes are Lua stack positions.
 */

/** A Lua state (a thread). */
export type LuaState = { readonly __luaState: unique symbol };
/** A function Lua can call: reads its arguments off the stack, returns how many it pushed. */
type LuaJsFunction = (L: LuaState) => number;

interface Lua {
  LUA_OK: number;
  LUA_YIELD: number;
  LUA_TNIL: number;
  LUA_TBOOLEAN: number;
  LUA_TLIGHTUSERDATA: number;
  LUA_TNUMBER: number;
  LUA_TSTRING: number;
  LUA_TTABLE: number;
  LUA_REGISTRYINDEX: number;
  lua_close(L: LuaState): void;
  lua_newthread(L: LuaState): LuaState;
  lua_resume(L: LuaState, from: LuaState, nargs: number): number;
  lua_gettop(L: LuaState): number;
  lua_settop(L: LuaState, index: number): void;
  lua_pop(L: LuaState, count: number): void;
  lua_type(L: LuaState, index: number): number;
  lua_toboolean(L: LuaState, index: number): boolean;
  lua_tonumber(L: LuaState, index: number): number;
  lua_isinteger(L: LuaState, index: number): boolean;
  lua_tojsstring(L: LuaState, index: number): string;
  lua_touserdata(L: LuaState, index: number): unknown;
  lua_pushnil(L: LuaState): void;
  lua_pushboolean(L: LuaState, value: boolean): void;
  lua_pushinteger(L: LuaState, value: number): void;
  lua_pushnumber(L: LuaState, value: number): void;
  lua_pushstring(L: LuaState, value: Uint8Array): void;
  lua_pushlightuserdata(L: LuaState, value: unknown): void;
  lua_pushjsfunction(L: LuaState, fn: LuaJsFunction): void;
  lua_pushvalue(L: LuaState, index: number): void;
  lua_createtable(L: LuaState, arraySize: number, hashSize: number): void;
  lua_rawgeti(L: LuaState, index: number, n: number): number;
  lua_rawseti(L: LuaState, index: number, n: number): void;
  lua_rawlen(L: LuaState, index: number): number;
  lua_getfield(L: LuaState, index: number, key: Uint8Array): number;
  lua_setfield(L: LuaState, index: number, key: Uint8Array): void;
  lua_setglobal(L: LuaState, name: Uint8Array): void;
  lua_next(L: LuaState, index: number): number;
  lua_error(L: LuaState): never;
}

interface LuaAuxLib {
  luaL_newstate(): LuaState;
  luaL_loadbuffer(L: LuaState, code: Uint8Array, size: null, name: Uint8Array): number;
}

interface LuaLib {
  luaL_openlibs(L: LuaState): void;
}

interface Fengari {
  lua: Lua;
  lauxlib: LuaAuxLib;
  lualib: LuaLib;
  to_luastring(text: string): Uint8Array;
}

/** fengari's modules. */
export const fengari = createRequire(import.meta.url)('fengari') as Fengari;
