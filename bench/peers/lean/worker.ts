/** The lean peer (app.ts) as a Worker: `wrangler dev --config bench/peers/lean/wrangler.toml --var UPSTREAM:…`. */
import { createLeanApp } from './app.ts'

export default createLeanApp()
