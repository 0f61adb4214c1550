"""Qpid Proton (Python): receive one message from an address and print its body and properties as
one JSON line (what a strict AMQP 1.0 decoder makes of a message another protocol published).

usage: proton_receive.py HOST PORT ADDRESS
"""
import json
import sys

from proton.handlers import MessagingHandler
from proton.reactor import Container


class ReceiveOne(MessagingHandler):
    def __init__(self, url, address):
        super().__init__()
        self.url = url
        self.address = address
        self.result = None

    def on_start(self, event):
        conn = event.container.connect(self.url, allowed_mechs="PLAIN", reconnect=False)
        event.container.create_receiver(conn, self.address, name="one")

    def on_message(self, event):
        m = event.message
        body = m.body
        if isinstance(body, (bytes, memoryview)):
            body = bytes(body).decode()
        self.result = {
            "body": body,
            "durable": m.durable,
            "priority": m.priority,
            "id": m.id,
            "correlation_id": m.correlation_id,
            "content_type": m.content_type,
            "properties": m.properties,
        }
        event.connection.close()


def main():
    host, port, address = sys.argv[1], sys.argv[2], sys.argv[3]
    handler = ReceiveOne("amqp://guest:guest@%s:%s" % (host, port), address)
    Container(handler).run()
    print(json.dumps(handler.result))


main()
