"""RabbitMQ tutorial 1 with pika: `send QUEUE BODY` or `receive QUEUE COUNT`."""
import sys

import pika

from common import emit, params, ready, time_limit

time_limit()
mode, queue = sys.argv[1], sys.argv[2]
connection = pika.BlockingConnection(params())
channel = connection.channel()
channel.queue_declare(queue=queue)

if mode == "send":
    body = sys.argv[3]
    channel.basic_publish(exchange="", routing_key=queue, body=body.encode())
    connection.close()
    emit({"sent": body})
else:
    want = int(sys.argv[3])
    received = []

    def callback(ch, method, properties, body):
        received.append(body.decode())
        if len(received) >= want:
            ch.stop_consuming()

    channel.basic_consume(queue=queue, on_message_callback=callback, auto_ack=True)
    ready()
    channel.start_consuming()
    connection.close()
    emit({"received": received})
