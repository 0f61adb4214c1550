import type { Queue } from "./queue.js";

/**
 * Ready messages above which a queue that has consumers is backed up: its consumers take less
 * than its publishers bring, and a publisher that can be slowed without losing anything (an AMQP
 * 1.0 sender, whose link credit the broker grants) should wait. A few times the credit a fast
 * consumer keeps (the AMQP 1.0 bench's receivers keep 1,000): deep enough that the consumers never
 * run dry while a publisher hears it may go on, shallow enough that the waiting messages die young
 * (a backlog of tens of thousands survives the garbage collector's scavenges and costs more CPU
 * than the messages themselves; see bench/README.md, AMQP 1.0).
 */
export const BACKLOG_HIGH_MARK = 4000;

/** A backed-up queue whose ready messages fall to this many lets its waiting publishers go on. */
export const BACKLOG_LOW_MARK = 1000;

/**
 * A publisher waiting for a backed-up queue to drain. The queue keeps its watchers only while
 * someone waits (nobody watching costs one null check per message taken) and calls each once,
 * then forgets it: when the ready messages fall to BACKLOG_LOW_MARK, when the last consumer goes
 * (a queue nobody consumes from never holds publishers back), and when the queue is deleted.
 */
export interface BacklogWatcher {
  backlogCleared(queue: Queue): void;
}
