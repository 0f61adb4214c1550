// amqplib's callback API in a process of its own (so that client and broker really run side by
// side): publish until sendToQueue reports a full buffer, then connection.close(cb). Prints one
// JSON line: how many were published and the error close's callback got (null when none), or
// "no callback" after 10 s.
//
// usage: node close-after-burst.mjs AMQP_URL ROUNDS
import amqp from "amqplib/callback_api";

const [url, roundsArg] = process.argv.slice(2);
const rounds = Number(roundsArg ?? 3);

function round() {
  return new Promise((resolve, reject) => {
    amqp.connect(url, (err, conn) => {
      if (err) return reject(err);
      conn.on("error", () => undefined);
      conn.createChannel((err2, ch) => {
        if (err2) return reject(err2);
        ch.on("error", () => undefined);
        ch.assertQueue("", { exclusive: true }, (err3, ok) => {
          if (err3) return reject(err3);
          const body = Buffer.alloc(1024);
          let published = 1;
          while (ch.sendToQueue(ok.queue, body)) published++;
          const timer = setTimeout(() => resolve({ published, closeError: "no callback" }), 10_000);
          conn.close((closeErr) => {
            clearTimeout(timer);
            resolve({ published, closeError: closeErr ? String(closeErr) : null });
          });
        });
      });
    });
  });
}

const results = [];
for (let i = 0; i < rounds; i++) results.push(await round());
console.log(JSON.stringify(results));
process.exit(0);
