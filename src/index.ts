/**
 * Cloudflare Workers entry. `static/` is served by Workers static assets (see
 * wrangler.jsonc) before the app sees a request; everything else is the app.
 */
import { createApp } from './app'

export default createApp()
