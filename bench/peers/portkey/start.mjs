/**
 * Starts the Portkey gateway from npm (`@portkey-ai/gateway`, its only build: build/start-server.js,
 * a Node server on @hono/node-server) on 127.0.0.1 instead of every interface, on Node or Bun.
 *   node bench/peers/portkey/start.mjs --port=8005 --headless
 *   bun bench/peers/portkey/start.mjs --port=8005 --headless
 * Its server calls `listen(port)` with no host: this wrapper fills in 127.0.0.1, then loads it.
 */
import http from 'node:http'
import net from 'node:net'

// Node's http.Server inherits net.Server's listen; Bun's has its own: patch both.
for (const proto of new Set([net.Server.prototype, http.Server.prototype])) {
  const listen = proto.listen
  proto.listen = function (...args) {
    if (typeof args[0] === 'number' && typeof args[1] !== 'string')
      args.splice(1, typeof args[1] === 'function' ? 0 : 1, '127.0.0.1')
    return listen.apply(this, args)
  }
}
await import('./node_modules/@portkey-ai/gateway/build/start-server.js')
