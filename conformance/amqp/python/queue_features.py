"""Queue features with pika: `dlx QUEUE DLQ` declares QUEUE dead-lettering to DLQ through the
default exchange, publishes one message, rejects it and prints the dead-letter's x-death as pika
decodes it; `priority QUEUE` declares a priority queue, publishes priorities 0..9 and prints the
order basic.get returns them in."""
import sys

import pika

from common import emit, params, time_limit

time_limit()
mode = sys.argv[1]
connection = pika.BlockingConnection(params())
channel = connection.channel()

if mode == "dlx":
    queue, dlq = sys.argv[2], sys.argv[3]
    channel.queue_declare(dlq)
    channel.queue_declare(queue, arguments={"x-dead-letter-exchange": "", "x-dead-letter-routing-key": dlq})
    channel.confirm_delivery()
    channel.basic_publish("", queue, b"dead", pika.BasicProperties(expiration="60000"))
    method, _, _ = channel.basic_get(queue)
    channel.basic_reject(method.delivery_tag, requeue=False)
    for _ in range(200):
        method, props, body = channel.basic_get(dlq, auto_ack=True)
        if method is not None:
            break
        connection.sleep(0.02)
    death = props.headers["x-death"][0]
    emit({
        "body": body.decode(),
        "routing_key": method.routing_key,
        "expiration": props.expiration,
        "count": death["count"],
        "reason": death["reason"],
        "queue": death["queue"],
        "time_type": type(death["time"]).__name__,
        "routing_keys": death["routing-keys"],
        "original_expiration": death["original-expiration"],
        "first_reason": props.headers["x-first-death-reason"],
    })
elif mode == "priority":
    queue = sys.argv[2]
    channel.queue_declare(queue, arguments={"x-max-priority": 5})
    channel.confirm_delivery()
    for p in range(10):
        channel.basic_publish("", queue, str(p).encode(), pika.BasicProperties(priority=p))
    order = []
    while True:
        method, _, body = channel.basic_get(queue, auto_ack=True)
        if method is None:
            break
        order.append(body.decode())
    emit({"order": order})
connection.close()
