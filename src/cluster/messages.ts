/*
 * What the cluster's primary and workers tell each other over node:cluster's
 * IPC channel. The channel also carries Node's own messages, so each of ours
 * names itself.
 */

/** A worker serves HTTP at `url`. */
export interface ReadyMessage {
  type: "auth-db:ready";
  url: string;
}

/** The primary asks a worker to drain its HTTP server and exit. */
export interface ShutdownMessage {
  type: "auth-db:shutdown";
}

/** Whether `message` is auth-db's message of this type. */
export function isMessage<M extends ReadyMessage | ShutdownMessage>(message: unknown, type: M["type"]): message is M {
  return typeof message === "object" && message !== null && (message as { type?: unknown }).type === type;
}
