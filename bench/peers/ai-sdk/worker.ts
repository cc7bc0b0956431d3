/** The AI SDK peer (app.ts) as a Worker: `wrangler dev --config bench/peers/ai-sdk/wrangler.toml --var UPSTREAM:…`. */
import { createAiSdkApp } from './app.ts'

export default createAiSdkApp()
