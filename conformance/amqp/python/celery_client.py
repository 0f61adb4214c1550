"""Sends add.delay(2, 3) through the broker under test and prints the result from rpc://."""
from celery_app import add, app
from common import emit, time_limit

time_limit(40)
result = add.delay(2, 3)
value = result.get(timeout=30)
emit({"result": value, "state": result.state, "task_id": result.id})
app.close()
