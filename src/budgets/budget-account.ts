import { type Account, expireIn, isIdle, newAccount, nextDeadline, reserveIn, settleIn, usageIn } from './account'
import type { ReserveRequest } from './ledger'
import type { BudgetSpec } from './spec'

/**
 * One caller's token budget on Workers: a SQLite-backed Durable Object per caller, addressed by
 * `idFromName(caller)` through the BUDGETS binding. A Durable Object runs one event at a time and
 * every step on the account is synchronous, so reservations from any number of isolates and
 * locations are taken one after the other, never past the limit.
 *
 * The account is written to storage after every change (the reply waits for the write), so an
 * evicted or restarted object continues with the same figures. An alarm at the first expiry charges
 * reservations that were never settled (their worker died) in full and releases them; once nothing
 * is open and the window is over, the storage is deleted.
 *
 * Its paths (reached only through a stub, JSON in and out): `POST /reserve` ({@link ReserveRequest}),
 * `POST /settle` (`{ id, spent }`), `POST /usage` ({@link BudgetSpec}).
 */
export class BudgetAccount {
  private account: Account = newAccount()
  private readonly ctx: DurableObjectState

  constructor(ctx: DurableObjectState, _env: unknown) {
    this.ctx = ctx
    ctx.blockConcurrencyWhile(async () => {
      this.account = (await ctx.storage.get<Account>('account')) ?? newAccount()
    })
  }

  async fetch(request: Request): Promise<Response> {
    if (request.method !== 'POST') return new Response(null, { status: 405 })
    const path = new URL(request.url).pathname
    const body = (await request.json()) as Record<string, unknown>
    const before = JSON.stringify(this.account)
    const now = Date.now()
    let result: unknown
    if (path === '/reserve')
      result = reserveIn(this.account, body as unknown as ReserveRequest, now, crypto.randomUUID())
    else if (path === '/settle') result = settleIn(this.account, String(body.id), Number(body.spent), now)
    else if (path === '/usage') result = usageIn(this.account, body as unknown as BudgetSpec, now)
    else return new Response(null, { status: 404 })
    if (JSON.stringify(this.account) !== before) await this.save()
    return Response.json(result)
  }

  /** The first expiry (or the window's end): charge what expired, then store or forget the account. */
  async alarm(): Promise<void> {
    expireIn(this.account, Date.now())
    await this.save()
  }

  private async save(): Promise<void> {
    const storage = this.ctx.storage
    if (isIdle(this.account, Date.now())) {
      this.account = newAccount()
      await storage.deleteAlarm()
      await storage.deleteAll()
      return
    }
    await storage.put('account', this.account)
    const deadline = nextDeadline(this.account)
    if (deadline === undefined) await storage.deleteAlarm()
    else await storage.setAlarm(deadline)
  }
}
