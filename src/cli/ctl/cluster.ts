/**
 * `warren ctl`'s cluster commands (docs/clustering.md, "Operations"), over Warren's own cluster
 * endpoints (RabbitMQ has none of them): `cluster_status`, laid out as rabbitmqctl's, and
 * `cluster transfer_leadership`, the planned handover.
 */
import type { CommandFamily } from "./kit.js";
import { apiPath, type Json } from "../management-client.js";

/** GET /api/cluster's answer. */
interface ClusterAnswer {
  cluster_id: string;
  node: string;
  leader: string;
  epoch: number;
  members: {
    name: string;
    cluster_role: "leader" | "follower";
    running: boolean;
    cluster_in_sync: boolean;
    replication_lag_batches: number;
    replication_lag_bytes: number;
  }[];
}

/** rabbitmqctl cluster_status's sections (and its JSON keys), with the cluster's own added. */
export function clusterStatusText(c: ClusterAnswer): string {
  const section = (title: string, lines: string[]): string[] => ["", title, "", ...(lines.length > 0 ? lines : ["(none)"])];
  const followers = c.members.filter((m) => m.cluster_role === "follower");
  const lines = [
    "Basics",
    "",
    `Cluster name: ${c.cluster_id}`,
    ...section(
      "Disk Nodes",
      c.members.map((m) => m.name),
    ),
    ...section(
      "Running Nodes",
      c.members.filter((m) => m.running).map((m) => m.name),
    ),
    ...section("Leader", [`${c.leader} (epoch ${c.epoch})`]),
    ...section(
      "In-sync Nodes",
      c.members.filter((m) => m.cluster_in_sync).map((m) => m.name),
    ),
    ...section(
      "Replication Lag",
      followers.map((m) => `Node: ${m.name}, batches: ${m.replication_lag_batches}, bytes: ${m.replication_lag_bytes}`),
    ),
  ];
  return lines.join("\n") + "\n";
}

export function clusterStatusJson(c: ClusterAnswer): Json {
  return {
    cluster_name: c.cluster_id,
    disk_nodes: c.members.map((m) => m.name),
    ram_nodes: [],
    running_nodes: c.members.filter((m) => m.running).map((m) => m.name),
    leader: c.leader,
    epoch: c.epoch,
    in_sync_nodes: c.members.filter((m) => m.cluster_in_sync).map((m) => m.name),
    replication_lag: Object.fromEntries(
      c.members
        .filter((m) => m.cluster_role === "follower")
        .map((m) => [m.name, { batches: m.replication_lag_batches, bytes: m.replication_lag_bytes }]),
    ),
  };
}

export const clusterCommands: CommandFamily = (ctl, kit) => {
  ctl
    .command("cluster_status")
    .description("show the cluster's members, running nodes, leader and epoch, in-sync set and replication lag")
    .action(
      kit.run(async () => {
        const c = (await kit.client().get(apiPath("cluster"))) as unknown as ClusterAnswer;
        if (kit.globals().formatter === "json") {
          kit.io.out(JSON.stringify(clusterStatusJson(c)) + "\n");
          return;
        }
        kit.info(`Cluster status of node ${c.node} ...`);
        kit.io.out(clusterStatusText(c));
      }),
    );

  const cluster = ctl.command("cluster").description("cluster operations (docs/clustering.md)");
  cluster
    .command("transfer_leadership")
    .description(
      "hand the leadership over to an in-sync follower: clients are disconnected (AMQP 320, MQTT 5 0x9C, STOMP ERROR) and reconnect to it; this node stays up as a follower",
    )
    .action(
      kit.run(async () => {
        const answer = (await kit.client().post(apiPath("cluster", "transfer-leadership"))) as { leader?: string; successor?: string };
        kit.io.out(`Transferring the leadership from ${answer.leader ?? "?"} to ${answer.successor ?? "?"}\n`);
      }),
    );
};
