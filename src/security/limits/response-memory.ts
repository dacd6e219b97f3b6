/**
 * The bytes of responses a broker holds across its connections: answered but waiting behind an
 * earlier request of their connection, or written to a socket and not yet taken by the kernel
 * (Node buffers them, and on TLS listeners their encrypted copies). Bounded by
 * `queued.max.response.bytes`: while the total is at the bound, a connection that still has
 * such bytes is not read and starts no Fetch until the total falls below it; connections with
 * nothing pending are still served, so one client's answer always goes out. What the broker
 * holds is then at most the bound plus, per connection, what it answered while it had nothing
 * pending (one Fetch response and its small answers).
 *
 * Kafka has no such setting: its network layer mutes a connection while a response is being
 * sent (one response in flight per connection), which bounds it by the connection count times
 * one response. strand answers pipelined requests concurrently, so it needs a bound of its own.
 * Zero-copy views of mapped segments are counted too, though they cost no heap: the bound is on
 * what a client can make the broker keep, whatever the backend or listener.
 */
import { RequestMemory } from './request-memory.js';

export class ResponseMemory extends RequestMemory {}
