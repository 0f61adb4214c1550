"""Qpid Proton (Python): local transactions through the coordinator, then one JSON line.

Sends c1 and c2 in a transaction and commits, sends r1 in another and rolls it back; then receives
what the queue holds, accepts it in a transaction that is rolled back (the messages come back,
again) and accepts them again in one that commits.

usage: proton_transactions.py HOST PORT ADDRESS
"""
import json
import sys

from proton.handlers import MessagingHandler, TransactionHandler
from proton.reactor import Container


class Transactions(MessagingHandler, TransactionHandler):
    def __init__(self, url, address):
        super().__init__(prefetch=0, auto_accept=False)
        self.url = url
        self.address = address
        self.step = 0
        self.received = []
        self.deliveries = []
        self.events = []
        self.error = None

    def on_start(self, event):
        self.container = event.container
        self.conn = event.container.connect(self.url, allowed_mechs="PLAIN", reconnect=False)
        self.sender = event.container.create_sender(self.conn, self.address)
        event.container.declare_transaction(self.conn, handler=self)
        event.container.schedule(15, self)

    def on_timer_task(self, event):
        if self.error is None:
            self.error = "timed out at step %d" % self.step
        self.conn.close()

    def on_transaction_declared(self, event):
        self.step += 1
        t = event.transaction
        self.events.append("declared")
        if self.step == 1:
            t.send(self.sender, self.message("c1"))
            t.send(self.sender, self.message("c2"))
            t.commit()
        elif self.step == 2:
            t.send(self.sender, self.message("r1"))
            t.abort()
        elif self.step == 3:
            for d in self.deliveries:
                t.accept(d)
            self.deliveries = []
            t.abort()
        elif self.step == 4:
            for d in self.deliveries:
                t.accept(d)
            self.deliveries = []
            t.commit()

    def message(self, body):
        from proton import Message

        return Message(body=body)

    def on_transaction_committed(self, event):
        self.events.append("committed")
        if self.step == 1:
            self.container.declare_transaction(self.conn, handler=self)
        else:
            self.conn.close()

    def on_transaction_aborted(self, event):
        self.events.append("aborted")
        if self.step == 2:
            self.receiver = self.container.create_receiver(self.conn, self.address)
            self.receiver.flow(10)

    def on_transaction_declare_failed(self, event):
        self.error = "declare failed"
        self.conn.close()

    def on_message(self, event):
        self.received.append(event.message.body)
        self.deliveries.append(event.delivery)
        if len(self.deliveries) == 2:
            self.container.declare_transaction(self.conn, handler=self)

    def on_session_error(self, event):
        self.error = event.session.remote_condition.name if event.session.remote_condition else "session error"
        self.conn.close()

    def on_link_error(self, event):
        self.error = event.link.remote_condition.name if event.link.remote_condition else "link error"
        self.conn.close()

    def on_connection_error(self, event):
        self.error = event.connection.remote_condition.name if event.connection.remote_condition else "connection error"
        self.conn.close()

    def on_connection_closed(self, event):
        self.container.stop()


def main():
    host, port, address = sys.argv[1], sys.argv[2], sys.argv[3]
    handler = Transactions("amqp://guest:guest@%s:%s" % (host, port), address)
    Container(handler).run()
    print(json.dumps({"events": handler.events, "received": handler.received, "error": handler.error}))


main()
