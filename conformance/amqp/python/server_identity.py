"""What Python clients make of connection.start's server-properties: pika's view of product and
version, and kombu's (Celery's) qos_semantics_matches_spec, which decides whether Celery applies
its prefetch with basic.qos global=true (RabbitMQ >= 3.3) or global=false (any other broker)."""
import os

import kombu
import pika

from common import emit, params, time_limit

time_limit(20)

conn = pika.BlockingConnection(params())
props = conn._impl.server_properties
conn.close()

with kombu.Connection(os.environ["WARREN_URL"].replace("amqp://", "pyamqp://", 1)) as k:
    k.connect()
    matches_spec = k.qos_semantics_matches_spec

emit({
    "product": props["product"].decode() if isinstance(props["product"], bytes) else props["product"],
    "version": props["version"].decode() if isinstance(props["version"], bytes) else props["version"],
    "kombu_qos_semantics_matches_spec": matches_spec,
})
