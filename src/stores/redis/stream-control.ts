/**
 * The instances' control channel: each process subscribes to `control:<its instance id>` on one
 * connection of its own (a subscribed connection can do nothing else), and any instance publishes
 * to it on the shared connection. It carries what only the instance running a stream can act on:
 * stop it (`DELETE /api/streams/{id}` received elsewhere), and which streams have listeners
 * elsewhere (so the grace counts them). The subscription is made again after each reconnect.
 *
 * @example
 * const control = openControlChannel(redis, instanceId, (message) => { if (message.type === 'cancel') … })
 * await control.send(ownerId, { type: 'cancel', streamId }) // true: the owner's process got it
 */
import type { RedisClient, RedisConnection } from './connection'
import { controlChannel } from './stream-keys'

export type ControlMessage =
  /** Stop the stream now (as a DELETE on the owner would). */
  | { type: 'cancel'; streamId: string }
  /** Instance `from` has listeners on these streams (sent again every presence heartbeat). */
  | { type: 'here'; streamIds: string[]; from: string }
  /** Instance `from` has no listener on this stream any more. */
  | { type: 'gone'; streamId: string; from: string }

export interface ControlChannel {
  readonly instanceId: string
  /** Publishes to one instance; true when a process subscribed to its channel received it. Never throws. */
  send(to: string, message: ControlMessage): Promise<boolean>
  close(): Promise<void>
}

function parseMessage(text: string): ControlMessage | undefined {
  try {
    const message = JSON.parse(text) as ControlMessage
    return typeof message?.type === 'string' ? message : undefined
  } catch {
    return undefined
  }
}

export function openControlChannel(
  redis: RedisConnection,
  instanceId: string,
  onMessage: (message: ControlMessage) => void,
): ControlChannel {
  const channel = controlChannel(redis, instanceId)
  const subscriber: RedisClient = redis.client.duplicate()
  let subscribed = false
  let closed = false
  const listener = (text: string) => {
    const message = parseMessage(text)
    if (message) onMessage(message)
  }
  const subscribe = () => {
    if (subscribed || closed) return
    subscriber.subscribe(channel, listener).then(
      () => {
        subscribed = true
      },
      () => {},
    )
  }
  // Errors are the shared connection's to report (it says when Redis went away); without a listener they would throw.
  subscriber.on('error', () => {})
  subscriber.on('ready', subscribe)
  subscriber.connect().catch(() => {})

  return {
    instanceId,
    async send(to, message) {
      try {
        const receivers = await redis.run((client) =>
          client.publish(controlChannel(redis, to), JSON.stringify(message)),
        )
        return receivers > 0
      } catch {
        return false
      }
    },
    async close() {
      closed = true
      if (subscriber.isReady) await subscriber.close().catch(() => subscriber.destroy())
      else if (subscriber.isOpen) subscriber.destroy()
    },
  }
}
