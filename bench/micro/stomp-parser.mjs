// Micro-benchmark of the STOMP frame parser on the reads a stompit client-individual run gives a
// broker (strace of a 5,000 msg/s run): an ACK's headers alone, its NUL with the next ACKs, a
// SEND's headers alone, then bodies with the next SENDs. CPU ns per frame, 5 rounds.
//
//   npx tsx bench/micro/stomp-parser.mjs [ROOT]   (ROOT: another checkout's sources, for an A/B)
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
const root = resolve(process.argv[2] ?? new URL("../..", import.meta.url).pathname);
const { FrameParser } = await import(pathToFileURL(`${root}/protocols/stomp/frame-parser.ts`).href);
const sess = "session-_trnp6Kvw7daSz6MMabcd";
const ack = (t) => `ACK\nsubscription:1\nmessage-id:T_1@@${sess}@@${t}\nid:T_1@@${sess}@@${t}\n\n`;
// consumer reads as strace showed them: headers alone, then NUL + 4 ACKs (last without NUL), then the rest
const reads = [];
for (let k = 0; k < 1000; k++) {
  const t = k * 5;
  reads.push(Buffer.from(ack(t + 1)));
  reads.push(Buffer.from(`\0\n${ack(t + 2)}\0\n${ack(t + 3)}\0\n${ack(t + 4)}\0\n${ack(t + 5)}`));
  reads.push(Buffer.from(`\0\n`));
  const send = `SEND\ndestination:/queue/cb-stomp-ci-5000-0-a-24136\ncontent-length:16\n\n`;
  reads.push(Buffer.from(send));
  reads.push(
    Buffer.from(
      `000041df2d3eabd3\0\n${send}000041df2d3eabd3\0\n${send}000041df2d3eabd3\0\n${send}000041df2d3eabd3\0\n${send}000041df2d3eabd3\0\n`,
    ),
  );
}
const p = new FrameParser();
p.version = "1.2";
let n = 0;
const once = () => {
  for (const r of reads) {
    p.push(r);
    for (let f = p.next(); f !== null; f = p.next()) n++;
  }
};
for (let i = 0; i < 200; i++) once();
const res = [];
for (let r = 0; r < 5; r++) {
  const t0 = process.cpuUsage();
  for (let i = 0; i < 200; i++) once();
  const u = process.cpuUsage(t0);
  res.push(((u.user + u.system) * 1000) / (200 * 10000));
}
console.log(root, res.map((x) => x.toFixed(0)).join(" "), "ns/frame");
