import { createAccessControl } from '../../access/access-control'
import { createRateLimiting } from '../../access/rate-limiting'
import type { RefusalReply } from '../../access/refusal'
import { errorBody } from '../../renderers/chat/errors'

/**
 * The gateway's access control and rate limits on `/v1/*`, with OpenAI's error bodies so that
 * the openai SDKs raise AuthenticationError (401, `invalid_api_key`) and RateLimitError (429,
 * `rate_limit_exceeded`, with `Retry-After`). The SDKs send the access token as their API key:
 * `Authorization: Bearer <token>`.
 *
 * @example
 * app.use('/v1/*', openAIAccessControl, openAIRateLimiting)
 * // new OpenAI({ baseURL: 'http://localhost:8000/v1', apiKey: process.env.GATEWAY_TOKEN })
 */
export const openAIRefusal: RefusalReply = (c, refusal) => {
  const fields =
    refusal.reason === 'rate_limited'
      ? { type: 'requests', code: 'rate_limit_exceeded' }
      : {
          type: 'invalid_request_error',
          code: refusal.reason === 'missing_token' ? 'missing_api_key' : 'invalid_api_key',
        }
  const body = errorBody(refusal.message, refusal.status, fields)
  return c.json({ ...body, request_id: c.get('record').requestId }, refusal.status)
}

export const openAIAccessControl = createAccessControl(openAIRefusal)
export const openAIRateLimiting = createRateLimiting(openAIRefusal)
