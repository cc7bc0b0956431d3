/**
 * Ids of a Responses API answer: `resp_` + 48 hex digits for the response, and item ids that share
 * its digits (as OpenAI's do) followed by the item's position, so they are unique, stable for the
 * life of the response and reproducible from its id.
 *
 * @example
 * const id = newResponseId()          // 'resp_6f0c…' (48 hex digits)
 * itemId(id, 'msg', 0)                // 'msg_6f0c…0000'
 * itemId(id, 'fc', 1)                 // 'fc_6f0c…0001'
 * responseIdOfItem(itemId(id, 'fc', 1)) // id
 */

export type ItemPrefix = 'msg' | 'fc' | 'ctc' | 'rs'

export function newResponseId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(24))
  let hex = ''
  for (const byte of bytes) hex += byte.toString(16).padStart(2, '0')
  return `resp_${hex}`
}

/** The id of the item at `outputIndex` of response `responseId`. */
export function itemId(responseId: string, prefix: ItemPrefix, outputIndex: number): string {
  const digits = responseId.slice(responseId.indexOf('_') + 1)
  return `${prefix}_${digits}${outputIndex.toString(16).padStart(4, '0')}`
}

const RESPONSE_ID = /^resp_[A-Za-z0-9]{1,200}$/
const ITEM_ID = /^(msg|fc|ctc|rs)_([0-9a-f]{48})[0-9a-f]{4}$/

/** A string that can be a response id (`resp_` and letters or digits), ours or OpenAI's. */
export function isResponseId(value: string): boolean {
  return RESPONSE_ID.test(value)
}

/** The response an item id of ours belongs to ({@link itemId} backwards); undefined for other ids. */
export function responseIdOfItem(id: string): string | undefined {
  const digits = ITEM_ID.exec(id)?.[2]
  return digits ? `resp_${digits}` : undefined
}
