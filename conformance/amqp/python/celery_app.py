"""A minimal Celery app for the conformance suite.

The broker is the broker under test (WARREN_URL); results travel back over the rpc:// backend
(reply queue via the default exchange). Queue and exchange names come from CELERY_QUEUE so that
concurrent runs on a shared broker never meet, and the suite can delete them afterwards.
"""
import os

from celery import Celery

QUEUE = os.environ.get("CELERY_QUEUE", "conf.celery")

app = Celery("conformance", broker=os.environ["WARREN_URL"], backend="rpc://")
app.conf.update(
    task_default_queue=QUEUE,
    task_default_exchange=QUEUE,
    task_default_routing_key=QUEUE,
    worker_enable_remote_control=False,  # no celery.pidbox exchanges left behind
    worker_send_task_events=False,
    task_send_sent_event=False,
    worker_prefetch_multiplier=1,
    worker_hijack_root_logger=False,
    broker_connection_max_retries=1,
)


@app.task(name="conformance.add")
def add(x, y):
    return x + y
