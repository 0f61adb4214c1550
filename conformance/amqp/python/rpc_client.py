"""RabbitMQ tutorial 6 RPC client with pika: calls fib(n) on QUEUE for each n given."""
import sys
import uuid

import pika

from common import emit, params, time_limit

time_limit()
queue, numbers = sys.argv[1], [int(a) for a in sys.argv[2:]]
connection = pika.BlockingConnection(params())
channel = connection.channel()
callback_queue = channel.queue_declare(queue="", exclusive=True).method.queue
pending = {}
results = {}


def on_response(ch, method, props, body):
    n = pending.pop(props.correlation_id, None)
    if n is not None:
        results[str(n)] = int(body)


channel.basic_consume(queue=callback_queue, on_message_callback=on_response, auto_ack=True)
for n in numbers:
    corr_id = str(uuid.uuid4())
    pending[corr_id] = n
    channel.basic_publish(
        exchange="",
        routing_key=queue,
        properties=pika.BasicProperties(reply_to=callback_queue, correlation_id=corr_id),
        body=str(n).encode(),
    )
while pending:
    connection.process_data_events(time_limit=1)
connection.close()
emit({"results": results, "callback_queue": callback_queue})
