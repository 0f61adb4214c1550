/**
 * What the management API and Prometheus see of a cluster (docs/clustering.md, "Operations"): a
 * read of the leader's state (etcd's members, its replication links, the in-sync set) and the
 * planned handover. A cluster node (src/cluster/node.ts) implements it; a single node has none,
 * and then nothing cluster-related appears anywhere.
 */

export type ClusterRole = "leader" | "follower";

/** One member as the leader sees it. */
export interface ClusterMemberStatus {
  /** The member's node name (`--node-name`), without RabbitMQ's `warren@`. */
  readonly name: string;
  readonly role: ClusterRole;
  /** The leader, or a follower whose replication connection is up. */
  readonly running: boolean;
  /** In etcd's in-sync set: it holds every confirmed batch and may be elected. */
  readonly inSync: boolean;
  /** Commit batches sealed by the leader that this member has not acknowledged (0 for the leader). */
  readonly lagBatches: number;
  /** Replication bytes sent or owed to this member that it has not acknowledged (0 for the leader). */
  readonly lagBytes: number;
}

export interface ClusterStatus {
  /** etcd's `cluster-id`. */
  readonly clusterId: string;
  /** This node's name (the leader's: only a leader serves the API). */
  readonly node: string;
  readonly leader: string;
  /** The leader's term (its election key's create revision). */
  readonly epoch: number;
  /** Every member registered in etcd, the leader first, then by name. */
  readonly members: readonly ClusterMemberStatus[];
}

/** Why a handover was not started. */
export class HandoverRefused extends Error {
  override readonly name = "HandoverRefused";
}

export interface ClusterView {
  status(): ClusterStatus;
  /**
   * Checks that an in-sync follower stands for election and, if one does, answers with its name;
   * the handover itself starts when `begin` is called (after the answer has left: the management
   * listener closes with the others). Rejects with HandoverRefused otherwise.
   */
  prepareHandover(): Promise<{ successor: string; begin(): void }>;
}
