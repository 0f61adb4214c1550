"""Shared bits for the pika scenario scripts: broker URL, JSON result, a hard time limit."""
import json
import os
import signal
import sys

import pika


def params():
    """Connection parameters for the broker under test (WARREN_URL)."""
    p = pika.URLParameters(os.environ["WARREN_URL"])
    p.connection_attempts = 1
    p.blocked_connection_timeout = 10
    return p


def emit(obj):
    """The script's result: one JSON line on stdout (the runner parses the last line)."""
    sys.stdout.write(json.dumps(obj, sort_keys=True) + "\n")
    sys.stdout.flush()


def ready():
    """Tells the runner the script is consuming, so it may start publishing."""
    sys.stdout.write("ready\n")
    sys.stdout.flush()


def time_limit(seconds=20):
    """Every script ends by itself even if the broker never answers."""
    def expire(_sig, _frame):
        sys.stderr.write("time limit of %ss reached\n" % seconds)
        os._exit(3)
    signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
