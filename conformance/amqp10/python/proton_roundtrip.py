"""Qpid Proton (Python) against the broker under test: send unsettled and pre-settled messages to a
queue, then receive them with credit and accept them. Prints one JSON line.

usage: proton_roundtrip.py HOST PORT QUEUE_ADDRESS
"""
import json
import sys

from proton import Message
from proton.handlers import MessagingHandler
from proton.reactor import AtMostOnce, Container


class Roundtrip(MessagingHandler):
    def __init__(self, url, address):
        super().__init__(prefetch=0, auto_accept=False)
        self.url = url
        self.address = address
        self.outcomes = []
        self.received = []
        self.to_send = [Message(body="p1", durable=True, properties={"k": 1}), Message(body="p2"), Message(body="p3")]
        self.error = None

    def on_start(self, event):
        conn = event.container.connect(self.url, allowed_mechs="PLAIN", sasl_enabled=True, reconnect=False)
        self.sender = event.container.create_sender(conn, self.address, name="unsettled")
        self.presettled = event.container.create_sender(conn, self.address, name="presettled", options=AtMostOnce())
        self.conn = conn

    def on_sendable(self, event):
        # Proton hands out a new wrapper per event: links are told apart by name
        if event.sender.name == "unsettled" and self.to_send:
            while self.to_send and self.sender.credit > 0:
                self.sender.send(self.to_send.pop(0))

    def on_accepted(self, event):
        self.outcomes.append("accepted")
        if len(self.outcomes) == 3:
            self.presettled.send(Message(body="p4"))
            self.receiver = event.container.create_receiver(self.conn, self.address, name="receiver")
            self.receiver.flow(10)

    def on_message(self, event):
        self.received.append(event.message.body)
        self.accept(event.delivery)
        if len(self.received) == 4:
            event.connection.close()

    def on_transport_error(self, event):
        self.error = str(event.transport.condition)


def main():
    host, port, address = sys.argv[1], sys.argv[2], sys.argv[3]
    handler = Roundtrip("amqp://guest:guest@%s:%s" % (host, port), address)
    Container(handler).run()
    print(json.dumps({"outcomes": handler.outcomes, "received": handler.received, "error": handler.error}))


main()
