/**
 * A change could not be made durable (the journal failed to write or fsync it, or it was decided on top of a change
 * that failed). Nothing was applied: the client may retry. The gRPC edge maps it to UNAVAILABLE with a generic
 * message; the cause is logged where it happened (the journal), never sent to clients.
 */
export class StorageUnavailableError extends Error {
  override readonly name = 'StorageUnavailableError';
}
