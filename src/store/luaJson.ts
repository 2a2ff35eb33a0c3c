const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * JSON for values the store's Lua scripts decode. JSON.stringify writes a lone UTF-16 surrogate
 * (valid in a JS string, such as a ticket title cut mid-emoji) as `\ud800`, which Redis's cjson
 * refuses: one such record would make every later create script fail. Lone surrogates become
 * U+FFFD, which is also what they turn into as UTF-8 anywhere else.
 */
export function luaJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'string' ? v.replace(LONE_SURROGATE, '\ufffd') : v));
}
