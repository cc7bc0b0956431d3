/**
 * Writing one Responses answer (see responses.ts): the event stream with its faults, or the whole
 * JSON body. A message carries `output_text` (or `refusal`) parts; a call is a `function_call` or a
 * `custom_tool_call` with its argument or input deltas; `safety`/`blocked`/`length` end in
 * `response.incomplete`, `midstream` in `error` + `response.failed` (the recorded shape).
 */
import { defaultAfter } from './answer.ts'
import { openaiErrors } from './errors.ts'
import type { Exchange } from './exchange.ts'
import { SSE_HEADERS } from './openai.ts'
import { CUTTING_FAULTS } from './scenario.ts'
import { callItem, messageItem, outputText, refusalPart, type ResponsesTurn } from './responses-wire.ts'

export type Plan =
  | { kind: 'text' | 'refusal'; text: string; pieces: string[] }
  | { kind: 'call'; custom: boolean; name: string; callId: string; text: string; pieces: string[] }

const MIDSTREAM = openaiErrors.midstream().error.message

/** How the answer ends for a fault: its status and incomplete reason. */
function ending(fault: string | undefined): { status: 'completed' | 'incomplete'; reason?: string } {
  if (fault === 'blocked' || fault === 'safety') return { status: 'incomplete', reason: 'content_filter' }
  if (fault === 'length') return { status: 'incomplete', reason: 'max_output_tokens' }
  return { status: 'completed' }
}

/** The finished item holding `text` (the whole answer, or what was sent before a stop). */
function finalItem(plan: Plan, id: string, status: string, text: string) {
  if (plan.kind === 'call') return callItem(id, plan.custom, status, plan.callId, plan.name, text)
  return messageItem(id, status, [plan.kind === 'refusal' ? refusalPart(text) : outputText(text)])
}

function deltaEvent(turn: ResponsesTurn, plan: Plan, id: string, delta: string): string {
  const part = { item_id: id, output_index: 0, content_index: 0 }
  if (plan.kind !== 'call') {
    return plan.kind === 'text'
      ? turn.event('response.output_text.delta', { ...part, delta, logprobs: [] })
      : turn.event('response.refusal.delta', { ...part, delta })
  }
  return plan.custom
    ? turn.event('response.custom_tool_call_input.delta', { output_index: 0, item_id: id, delta })
    : turn.event('response.function_call_arguments.delta', { item_id: id, output_index: 0, delta })
}

export async function streamResponse(ex: Exchange, turn: ResponsesTurn, plan: Plan, requestId: string): Promise<void> {
  const fault = ex.scenario.fault
  const background = turn.response({ status: 'queued' }).background === true
  if (!(await ex.begin(200, SSE_HEADERS(requestId)))) return
  const created = turn.response({ status: background ? 'queued' : 'in_progress' })
  let head = turn.event('response.created', { response: created })
  if (background) head += turn.event('response.queued', { response: created })
  head += turn.event('response.in_progress', { response: turn.response({ status: 'in_progress' }) })
  if (!(await ex.write(head))) return
  if (!(await ex.wait(ex.scenario.hold ?? 0))) return

  const { status, reason } = ending(fault)
  if (fault === 'blocked') {
    const response = turn.response({ status, incompleteReason: reason, usage: turn.usage(0) })
    return ex.end('blocked', turn.event('response.incomplete', { response }))
  }
  const id = turn.itemId(plan.kind === 'call' ? (plan.custom ? 'ctc' : 'fc') : 'msg')
  const at = { item_id: id, output_index: 0 }
  const part = { ...at, content_index: 0 }
  let opening: string
  if (plan.kind === 'call') {
    const item = callItem(id, plan.custom, 'in_progress', plan.callId, plan.name, '')
    opening = turn.event('response.output_item.added', { output_index: 0, item })
  } else {
    const empty = plan.kind === 'refusal' ? refusalPart('') : outputText('')
    opening = turn.event('response.output_item.added', { output_index: 0, item: messageItem(id, 'in_progress', []) })
    opening += turn.event('response.content_part.added', { ...part, part: empty })
  }
  if (!(await ex.write(opening))) return

  const after = Math.min(ex.scenario.after ?? defaultAfter(plan.pieces.length), plan.pieces.length)
  const cut = CUTTING_FAULTS.includes(fault ?? '') ? after : plan.pieces.length
  for (const delta of plan.pieces.slice(0, cut)) {
    const event = deltaEvent(turn, plan, id, delta)
    if (!(await ex.paced(event))) return
    ex.sent(delta)
  }
  const sent = plan.pieces.slice(0, cut).join('')
  switch (fault) {
    case 'drop':
      if (await ex.gap()) ex.drop()
      return
    case 'stall':
      return ex.stall()
    case 'malformed': {
      const broken = `event: response.output_text.delta\ndata: {"type":"response.output_text.delta","sequence_number":${turn.nextSequence},"item_id":"${id}","delta":"tru\n\n`
      if (await ex.paced(broken)) ex.end('malformed')
      return
    }
    case 'midstream': {
      const error = { type: 'server_error', code: 'server_error', message: MIDSTREAM, param: null }
      const item = finalItem(plan, id, 'incomplete', sent)
      const response = turn.response({
        status: 'failed',
        output: [item],
        error: { code: 'server_error', message: MIDSTREAM },
      })
      const tail = turn.event('error', { error }) + turn.event('response.failed', { response })
      if (await ex.paced(tail)) ex.end('midstream')
      return
    }
  }
  const item = finalItem(plan, id, status === 'completed' ? 'completed' : 'incomplete', sent)
  let closing: string
  if (plan.kind === 'call') {
    closing = plan.custom
      ? turn.event('response.custom_tool_call_input.done', { output_index: 0, item_id: id, input: sent })
      : turn.event('response.function_call_arguments.done', { ...at, arguments: sent })
  } else {
    const done = plan.kind === 'refusal' ? refusalPart(sent) : outputText(sent)
    closing =
      plan.kind === 'refusal'
        ? turn.event('response.refusal.done', { ...part, refusal: sent })
        : turn.event('response.output_text.done', { ...part, text: sent, logprobs: [] })
    closing += turn.event('response.content_part.done', { ...part, part: done })
  }
  closing += turn.event('response.output_item.done', { output_index: 0, item })
  const response = turn.response({
    status,
    output: [item],
    incompleteReason: reason,
    usage: turn.usage(ex.entry.chunksSent),
  })
  closing += turn.event(status === 'completed' ? 'response.completed' : 'response.incomplete', { response })
  if (await ex.paced(closing)) ex.end(fault ?? 'ok')
}

export async function unaryResponse(ex: Exchange, turn: ResponsesTurn, plan: Plan, requestId: string): Promise<void> {
  const fault = ex.scenario.fault
  const headers = { 'x-request-id': requestId, 'openai-version': '2020-10-01' }
  if (fault === 'stall') {
    if (await ex.begin(200, { 'content-type': 'application/json', ...headers })) return ex.stall()
    return
  }
  if (fault === 'drop') {
    if (await ex.wait(ex.scenario.ttft ?? 0)) ex.drop()
    return
  }
  if (fault === 'midstream') {
    const error = openaiErrors.server()
    return ex.reply(error.status, error.contentType, error.body)
  }
  let response: Record<string, unknown>
  if (turn.response({ status: 'queued' }).background === true) {
    response = turn.response({ status: 'queued' })
  } else {
    const { status, reason } = ending(fault)
    const after = Math.min(ex.scenario.after ?? defaultAfter(plan.pieces.length), plan.pieces.length)
    const sent = fault === 'blocked' ? 0 : status === 'incomplete' ? after : plan.pieces.length
    const text = plan.pieces.slice(0, sent).join('')
    const id = turn.itemId(plan.kind === 'call' ? (plan.custom ? 'ctc' : 'fc') : 'msg')
    const output = fault === 'blocked' ? [] : [finalItem(plan, id, status, text)]
    response = turn.response({ status, output, incompleteReason: reason, usage: turn.usage(sent) })
    ex.entry.chunksSent = sent
  }
  let body = JSON.stringify(response, null, 2)
  if (fault === 'malformed') body = body.slice(0, Math.floor(body.length / 2))
  await ex.reply(200, 'application/json', body, headers)
  if (fault) ex.entry.outcome = fault
}
