"""A stream with pika: `STREAM COUNT OFFSET` declares the stream (and a quorum queue STREAM.q),
publishes COUNT messages with confirms, then reads from x-stream-offset OFFSET (an integer, or
first/last/next) with prefetch 5 and manual acks, and reports offsets, bodies and the refusal of
an auto-ack consumer."""
import sys

import pika

from common import emit, params, time_limit

time_limit()
stream, count, offset = sys.argv[1], int(sys.argv[2]), sys.argv[3]
if offset.lstrip("-").isdigit():
    offset = int(offset)
connection = pika.BlockingConnection(params())
channel = connection.channel()
channel.queue_declare(queue=stream, durable=True, arguments={"x-queue-type": "stream"})
channel.queue_declare(queue=stream + ".q", durable=True, arguments={"x-queue-type": "quorum"})
channel.confirm_delivery()
for i in range(count):
    channel.basic_publish(exchange="", routing_key=stream, body=("m%d" % i).encode())

channel.basic_qos(prefetch_count=5)
got = []


def callback(ch, method, properties, body):
    got.append({"body": body.decode(), "offset": properties.headers["x-stream-offset"]})
    ch.basic_ack(method.delivery_tag)
    if got[-1]["body"] == "m%d" % (count - 1):
        ch.stop_consuming()


channel.basic_consume(queue=stream, on_message_callback=callback, arguments={"x-stream-offset": offset})
channel.start_consuming()

refused = None
try:
    other = connection.channel()
    other.basic_qos(prefetch_count=5)
    other.basic_consume(queue=stream, on_message_callback=callback, auto_ack=True)
    connection.process_data_events(time_limit=2)
except pika.exceptions.ConnectionClosedByBroker as e:
    refused = [e.reply_code, e.reply_text]
emit({"got": got, "refused": refused})
