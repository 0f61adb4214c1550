"""stomp.py as Python scripts written for ActiveMQ use it: dotted names, the `>` wildcard and a
durable subscription named by client-id + activemq.subscriptionName, removed at the end.

usage: activemq.py HOST PORT SUFFIX — prints one JSON line: what arrived where, and the errors.
"""
import json
import sys
import threading

import stomp

host, port, suffix = sys.argv[1], int(sys.argv[2]), sys.argv[3]
topic = "/topic/pyamq.%s" % suffix
client_id = "pyamq-%s" % suffix


class Listener(stomp.ConnectionListener):
    def __init__(self):
        self.bodies = []
        self.receipts = set()
        self.errors = []
        self.cond = threading.Condition()

    def on_message(self, frame):
        with self.cond:
            self.bodies.append([frame.body, frame.headers.get("destination")])
            self.cond.notify_all()

    def on_receipt(self, frame):
        with self.cond:
            self.receipts.add(frame.headers.get("receipt-id"))
            self.cond.notify_all()

    def on_error(self, frame):
        with self.cond:
            self.errors.append(frame.headers.get("message"))
            self.cond.notify_all()

    def wait(self, pred):
        with self.cond:
            return self.cond.wait_for(pred, 10)


def connect(with_client_id):
    conn = stomp.Connection12([(host, port)], vhost="/")
    listener = Listener()
    conn.set_listener("", listener)
    headers = {"client-id": client_id} if with_client_id else {}
    conn.connect("guest", "guest", wait=True, headers=headers)
    return conn, listener


durable = {"activemq.subscriptionName": "py-feed"}
out = {}

# 1. subscribe durably with a wildcard, then go away
sub, ls = connect(True)
sub.subscribe(destination=topic + ".>", id="feed", ack="client-individual", headers=dict(durable, receipt="s1"))
out["subscribed"] = ls.wait(lambda: "s1" in ls.receipts)
sub.disconnect()

# 2. another script publishes while the subscriber is away
pub, lp = connect(False)
pub.send(destination=topic + ".eu.fr", body="away-1", headers={"persistent": "true"})
pub.send(destination=topic + ".us", body="away-2", headers={"persistent": "true", "receipt": "p"})
out["published"] = lp.wait(lambda: "p" in lp.receipts)

# 3. the subscriber comes back: both messages wait for it; it acks them
sub, ls = connect(True)
sub.subscribe(destination=topic + ".>", id="feed", ack="client-individual", headers=durable)
out["received"] = ls.wait(lambda: len(ls.bodies) >= 2)
out["bodies"] = list(ls.bodies)

# 4. unsubscribe (deactivate), then remove the durable subscription by its name
sub.unsubscribe(id="feed", headers={"receipt": "u1"})
sub.unsubscribe(id="feed", headers=dict(durable, receipt="u2"))
out["removed"] = ls.wait(lambda: "u2" in ls.receipts or ls.errors)
out["errors"] = ls.errors + lp.errors
sub.disconnect()
pub.disconnect()
print(json.dumps(out), flush=True)
