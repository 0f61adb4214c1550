"""`QUEUE COUNT`: declares QUEUE durable, publishes COUNT messages with confirms, and reports the
message count a passive declare answers (what a policy's limits left)."""
import sys

import pika

from common import emit, params, time_limit

time_limit()
queue, count = sys.argv[1], int(sys.argv[2])
connection = pika.BlockingConnection(params())
channel = connection.channel()
channel.queue_declare(queue=queue, durable=True)
channel.confirm_delivery()
for i in range(count):
    channel.basic_publish(exchange="", routing_key=queue, body=("m%d" % i).encode())
ok = channel.queue_declare(queue=queue, passive=True)
connection.close()
emit({"messages": ok.method.message_count})
