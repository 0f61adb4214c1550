/**
 * The store's durable writes as file operations, for replication (docs/clustering.md, "What is
 * shipped"). A store given a tap tells it every write it makes to a durable file, with the same
 * bytes at the same offset, so a follower applying them holds the same files: a valid store.
 * Paths are absolute (the replicator makes them relative to the data dir). Nothing is told per
 * message: segments and ack files report once per commit batch, the delivery mark once per turn.
 * Without a tap (a single node) each place costs one null check per batch.
 */
export interface StoreTap {
  /** `bytes` were written at `offset` of `path`; offset 0 means the file was (re)created. */
  write(path: string, offset: number, bytes: Buffer): void;
  /** `path` was replaced whole, atomically. */
  replace(path: string, bytes: Buffer): void;
  /** A file, or a directory with everything in it, was removed. */
  remove(path: string): void;
  /** `path` was cut to `length` bytes (a torn tail dropped at open). */
  truncate(path: string, length: number): void;
}

/**
 * The group commit's side of replication: a batch's writes have all been told to the tap when
 * `seal` is called, and the batch counts as committed only once `done(true)` is called (on top of
 * the local fsync).
 */
export interface CommitReplication {
  seal(done: (ok: boolean) => void): void;
}
