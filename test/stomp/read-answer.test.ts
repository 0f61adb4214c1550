import type { Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { ANSWER_DELAY_MS, TcpTransport } from "../../protocols/stomp/transport.js";

/** What the transport writes to its socket, write by write (the socket's side of the wire). */
function fakeSocket() {
  const writes: string[] = [];
  const socket = {
    writes,
    writableLength: 0,
    destroyed: false,
    setNoDelay() {},
    on() {},
    write(chunk: Buffer) {
      writes.push(chunk.toString("latin1"));
      return true;
    },
    end() {},
    destroy() {
      socket.destroyed = true;
    },
  };
  return socket;
}

/** The writer flushes on process.nextTick, which fake timers leave real. */
const nextTurn = () => new Promise<void>((resolve) => process.nextTick(resolve));

// A read that carried only an ACK's NUL is answered so the client's kernel hears its segment
// acknowledged (stompit, Nagle on, holds its next frames until then). A frame going out does
// that as well: the EOL waits a little for one, and is not written when one went.
describe("answering a read that asked for no frame (STOMP over TCP)", () => {
  // one fake clock for the file: the transport module keeps its one timer from test to test
  beforeAll(() => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
  });
  afterAll(() => {
    vi.useRealTimers();
  });

  it("writes a heart-beat EOL once the delay is over when nothing else went out", async () => {
    const s = fakeSocket();
    const t = new TcpTransport(s as unknown as Socket);
    t.acknowledgeRead(false);
    t.acknowledgeRead(false);
    await nextTurn();
    expect(s.writes).toEqual([]);
    vi.advanceTimersByTime(ANSWER_DELAY_MS);
    await nextTurn();
    expect(s.writes).toEqual(["\n"]);
  });

  it("writes no EOL when a frame goes out within the delay: the frame carries the TCP ACK", async () => {
    const s = fakeSocket();
    const t = new TcpTransport(s as unknown as Socket);
    t.acknowledgeRead(false);
    await nextTurn();
    t.write(Buffer.from("MESSAGE\n\n\0"));
    vi.advanceTimersByTime(ANSWER_DELAY_MS);
    await nextTurn();
    expect(s.writes).toEqual(["MESSAGE\n\n\0"]);
    // the next read with nothing after it is answered again
    t.acknowledgeRead(false);
    vi.advanceTimersByTime(ANSWER_DELAY_MS);
    await nextTurn();
    expect(s.writes).toEqual(["MESSAGE\n\n\0", "\n"]);
  });

  it("answers in this turn when a subscription waits for the client's ACKs", async () => {
    const s = fakeSocket();
    const t = new TcpTransport(s as unknown as Socket);
    t.acknowledgeRead(true);
    await nextTurn();
    expect(s.writes).toEqual(["\n"]);
  });

  it("adds nothing to a turn that already writes a frame", async () => {
    const s = fakeSocket();
    const t = new TcpTransport(s as unknown as Socket);
    t.write(Buffer.from("RECEIPT\nreceipt-id:1\n\n\0"));
    t.acknowledgeRead(true);
    t.acknowledgeRead(false);
    vi.advanceTimersByTime(ANSWER_DELAY_MS);
    await nextTurn();
    expect(s.writes).toEqual(["RECEIPT\nreceipt-id:1\n\n\0"]);
  });

  it("writes nothing for a connection gone before the delay is over", async () => {
    const s = fakeSocket();
    const t = new TcpTransport(s as unknown as Socket);
    const other = fakeSocket();
    const u = new TcpTransport(other as unknown as Socket);
    t.acknowledgeRead(false);
    u.acknowledgeRead(false);
    t.destroy();
    vi.advanceTimersByTime(ANSWER_DELAY_MS);
    await nextTurn();
    expect(s.writes).toEqual([]);
    expect(other.writes).toEqual(["\n"]);
  });
});
