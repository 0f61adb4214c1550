"""64-bit integers with pika: `QUEUE` publishes a persistent message whose timestamp property and
headers hold values beyond 2**53, reads it back with basic.get and prints them as strings (JSON
numbers would lose the low bits in JavaScript)."""
import sys

import pika

from common import emit, params, time_limit

time_limit()
queue = sys.argv[1]
BIG = 2 ** 60 + 7
connection = pika.BlockingConnection(params())
channel = connection.channel()
channel.confirm_delivery()
channel.queue_declare(queue=queue, durable=True)
channel.basic_publish(
    exchange="",
    routing_key=queue,
    body=b"int64",
    properties=pika.BasicProperties(
        delivery_mode=2,
        timestamp=BIG,
        # (no negative values: pika decodes `l` as unsigned; the raw scenario covers those)
        headers={"big": BIG, "max": 2 ** 63 - 1, "list": [BIG, 2 ** 62]},
    ),
)
method, props, body = channel.basic_get(queue=queue, auto_ack=True)
connection.close()
h = props.headers
emit({
    "timestamp": str(props.timestamp),
    "big": str(h["big"]),
    "max": str(h["max"]),
    "list": [str(x) for x in h["list"]],
})
