"""stomp.py (the Python STOMP client legacy scripts use) against a STOMP broker, each version.

usage: roundtrip.py HOST PORT SUFFIX — prints one JSON line per version: what arrived, from where.
"""
import json
import sys
import threading

import stomp

host, port, suffix = sys.argv[1], int(sys.argv[2]), sys.argv[3]


class Collector(stomp.ConnectionListener):
    def __init__(self):
        self.bodies = []
        self.done = threading.Event()
        self.errors = []

    def on_message(self, frame):
        self.bodies.append([frame.body, frame.headers.get("destination"), frame.headers.get("x-tag")])
        if len(self.bodies) == 2:
            self.done.set()

    def on_error(self, frame):
        self.errors.append(frame.headers.get("message"))


for cls, version in ((stomp.Connection12, "1.2"), (stomp.Connection11, "1.1"), (stomp.Connection10, "1.0")):
    listener = Collector()
    if version == "1.0":
        conn = cls([(host, port)])
        conn.set_listener("", listener)
        conn.connect("guest", "guest", wait=True, headers={"host": "/"})
    else:
        conn = cls([(host, port)], vhost="/")
        conn.set_listener("", listener)
        conn.connect("guest", "guest", wait=True)
    queue = "/queue/py-%s-%s" % (suffix, version)
    topic = "py%s.v%s" % (suffix, version.replace(".", ""))
    conn.subscribe(destination=queue, id="q", ack="client-individual")
    conn.subscribe(destination="/topic/%s.*" % topic, id="t", ack="auto")
    conn.send(destination=queue, body="queued", headers={"persistent": "true", "x-tag": "q"})
    conn.send(destination="/topic/%s.x" % topic, body="published", headers={"x-tag": "t"})
    ok = listener.done.wait(10)
    print(json.dumps({"version": version, "ok": ok, "bodies": sorted(listener.bodies), "errors": listener.errors}), flush=True)
    conn.disconnect()
