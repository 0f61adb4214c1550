"""Field tables with pika: `publish QUEUE` sends every type pika can encode in headers;
`consume QUEUE` reads one message and prints each header's Python type and value."""
import base64
import datetime
import decimal
import sys

import pika

from common import emit, params, ready, time_limit

time_limit()
mode, queue = sys.argv[1], sys.argv[2]
connection = pika.BlockingConnection(params())
channel = connection.channel()


def describe(v):
    if isinstance(v, bool):
        return ["bool", v]
    if isinstance(v, int):
        # Beyond 2**53 a JSON number loses precision in JavaScript: send those as strings.
        return ["int", v if abs(v) < 2 ** 53 else str(v)]
    if isinstance(v, float):
        return ["float", v]
    if isinstance(v, decimal.Decimal):
        return ["Decimal", str(v)]
    if isinstance(v, str):
        return ["str", v]
    if isinstance(v, bytes):
        return ["bytes", base64.b64encode(v).decode()]
    if isinstance(v, datetime.datetime):
        return ["datetime", v.isoformat()]
    if isinstance(v, dict):
        return ["dict", {k: describe(x) for k, x in v.items()}]
    if isinstance(v, list):
        return ["list", [describe(x) for x in v]]
    if v is None:
        return ["None", None]
    return [type(v).__name__, repr(v)]


if mode == "publish":
    headers = {
        "str": "héllo",
        "bytes": b"\x00\x01\xfe\xff",
        "true": True,
        "false": False,
        "int": -70000,
        "big": 2 ** 40,
        "decimal": decimal.Decimal("123.45"),
        "timestamp": datetime.datetime(2023, 11, 14, 22, 13, 20),
        "table": {"nested": "yes", "n": 7},
        "array": [1, "two", None, True],
        "void": None,
    }
    channel.basic_publish(
        exchange="",
        routing_key=queue,
        body=b"typed",
        properties=pika.BasicProperties(
            headers=headers,
            content_type="text/plain",
            content_encoding="utf-8",
            delivery_mode=2,
            priority=5,
            correlation_id="corr-1",
            reply_to="reply-q",
            expiration="60000",
            message_id="msg-1",
            timestamp=1700000000,
            type="kind",
            user_id="guest",
            app_id="pika-app",
        ),
    )
    connection.close()
    emit({"published": True})
else:
    out = {}

    def callback(ch, method, props, body):
        out["body"] = body.decode()
        out["headers"] = {k: describe(v) for k, v in (props.headers or {}).items()}
        out["properties"] = {
            "content_type": props.content_type,
            "content_encoding": props.content_encoding,
            "delivery_mode": props.delivery_mode,
            "priority": props.priority,
            "correlation_id": props.correlation_id,
            "reply_to": props.reply_to,
            "expiration": props.expiration,
            "message_id": props.message_id,
            "timestamp": props.timestamp,
            "type": props.type,
            "user_id": props.user_id,
            "app_id": props.app_id,
            "cluster_id": props.cluster_id,
        }
        ch.stop_consuming()

    channel.basic_consume(queue=queue, on_message_callback=callback, auto_ack=True)
    ready()
    channel.start_consuming()
    connection.close()
    emit(out)
