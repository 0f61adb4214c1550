"""RabbitMQ tutorial 2 worker with pika: durable queue, prefetch 1, manual ack; stops on STOP."""
import sys

import pika

from common import emit, params, ready, time_limit

time_limit()
queue = sys.argv[1]
connection = pika.BlockingConnection(params())
channel = connection.channel()
channel.queue_declare(queue=queue, durable=True)
channel.basic_qos(prefetch_count=1)
processed = []


def callback(ch, method, properties, body):
    text = body.decode()
    if text == "STOP":
        ch.basic_ack(delivery_tag=method.delivery_tag)
        ch.stop_consuming()
        return
    processed.append({"task": text, "persistent": properties.delivery_mode == 2, "redelivered": method.redelivered})
    ch.basic_ack(delivery_tag=method.delivery_tag)


channel.basic_consume(queue=queue, on_message_callback=callback)
ready()
channel.start_consuming()
connection.close()
emit({"processed": processed})
