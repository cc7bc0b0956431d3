/**
 * The token budget's account steps (src/budgets/account.ts) in Lua, so that Redis runs each
 * operation on a caller's account as one atomic script: {@link RESERVE}, {@link SETTLE} and
 * {@link USAGE}. The account is one key holding the same JSON as the Durable Object stores
 * (`{windowStart, windowMs, used, open: {id: {amount, window, expiresAt}}}`); every script reads it,
 * takes the same steps as account.ts (roll to the current window, charge expired reservations in
 * full, then reserve, settle or read), and writes it back, or deletes it when it holds nothing.
 *
 * The clock is Redis's (`TIME`), so every instance sees the same windows and expiries. The key
 * lives until its window ends or its last reservation expires, whichever is later.
 *
 * @example
 * await redis.run((client) => RESERVE.run(client, [redis.key('budget', 'ip:203.0.113.7')], ['5000', '86400000', '67', '200', '360000', 'r1']))
 * // '{"ok":true,"id":"r1","input":67,"output":200,"limit":5000,"remaining":4733,"resetAt":…}'
 */
import { luaScript } from './lua-script'

/** What every script shares: account.ts, step for step. KEYS[1] is the caller's account. */
const ACCOUNT_STEPS = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

local function whole(value, fallback)
  local n = tonumber(value)
  if n == nil or n ~= n or n == math.huge or n == -math.huge then return fallback end
  if n < 0 then return 0 end
  return math.ceil(n)
end

local stored = redis.call('GET', KEYS[1])
local account
if stored then account = cjson.decode(stored) else account = { windowStart = 0, windowMs = 0, used = 0, open = {} } end

local function roll(windowMs)
  local start = math.floor(now / windowMs) * windowMs
  if account.windowStart == start and account.windowMs == windowMs then return end
  account.windowStart = start
  account.windowMs = windowMs
  account.used = 0
end

local function expire()
  for id, r in pairs(account.open) do
    if r.expiresAt <= now then
      if r.window == account.windowStart then account.used = account.used + r.amount end
      account.open[id] = nil
    end
  end
end

local function figures(limit)
  local reserved = 0
  for _, r in pairs(account.open) do
    if r.window == account.windowStart then reserved = reserved + r.amount end
  end
  return {
    limit = limit,
    used = account.used,
    reserved = reserved,
    remaining = math.max(0, limit - account.used - reserved),
    resetAt = account.windowStart + account.windowMs,
  }
end

local function usage(limit, windowMs)
  roll(windowMs)
  expire()
  return figures(whole(limit, 0))
end

-- Written back while it holds something; deleted once it holds no more than a new account would.
local function save()
  local last = account.windowStart + account.windowMs
  local any = false
  for _, r in pairs(account.open) do
    any = true
    if r.expiresAt > last then last = r.expiresAt end
  end
  if not any and (account.used == 0 or now >= account.windowStart + account.windowMs) then
    redis.call('DEL', KEYS[1])
    return
  end
  -- An empty table encodes as {}: an account with nothing open keeps its "open" object.
  redis.call('SET', KEYS[1], cjson.encode(account), 'PX', math.max(1, last - now + 1000))
end
`

/** ARGV: limit, windowMs, input, wantedOutput ('' for none), expiresInMs, id. Returns a Reservation as JSON. */
export const RESERVE = luaScript(`${ACCOUNT_STEPS}
local before = usage(ARGV[1], tonumber(ARGV[2]))
local input = whole(ARGV[3], 0)
local room = before.limit - before.used - before.reserved - input
local output = math.min(whole(ARGV[4], math.huge), room)
if not (output >= 1) then
  save()
  return cjson.encode({ ok = false, limit = before.limit, remaining = before.remaining, needed = input + 1, resetAt = before.resetAt })
end
account.open[ARGV[6]] = { amount = input + output, window = account.windowStart, expiresAt = now + whole(ARGV[5], 0) }
local after = figures(before.limit)
save()
return cjson.encode({ ok = true, id = ARGV[6], input = input, output = output, limit = after.limit, remaining = after.remaining, resetAt = after.resetAt })
`)

/** ARGV: id, spent. Returns a Settlement as JSON (more than reserved is charged too; an unknown id charges nothing). */
export const SETTLE = luaScript(`${ACCOUNT_STEPS}
local r = account.open[ARGV[1]]
local charged = 0
if r then
  account.open[ARGV[1]] = nil
  if r.window == account.windowStart then charged = whole(ARGV[2], r.amount) end
  account.used = account.used + charged
end
expire()
if stored then save() end
return cjson.encode({ settled = r ~= nil, charged = charged })
`)

/** ARGV: limit, windowMs. Returns BudgetUsage as JSON. */
export const USAGE = luaScript(`${ACCOUNT_STEPS}
local now_figures = usage(ARGV[1], tonumber(ARGV[2]))
save()
return cjson.encode(now_figures)
`)
