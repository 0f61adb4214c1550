"""RabbitMQ tutorial 6 RPC server with pika: answers COUNT fib requests on QUEUE, then exits."""
import sys

import pika

from common import emit, params, ready, time_limit

time_limit()
queue, count = sys.argv[1], int(sys.argv[2])
connection = pika.BlockingConnection(params())
channel = connection.channel()
channel.queue_declare(queue=queue)
served = []


def fib(n):
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a


def on_request(ch, method, props, body):
    n = int(body)
    ch.basic_publish(
        exchange="",
        routing_key=props.reply_to,
        properties=pika.BasicProperties(correlation_id=props.correlation_id),
        body=str(fib(n)).encode(),
    )
    ch.basic_ack(delivery_tag=method.delivery_tag)
    served.append(n)
    if len(served) >= count:
        ch.stop_consuming()


channel.basic_qos(prefetch_count=1)
channel.basic_consume(queue=queue, on_message_callback=on_request)
ready()
channel.start_consuming()
connection.close()
emit({"served": served})
