"""A real SMTP server for the tests of the outbox's delivery (server/tests/smtp.rs).

Listens on 127.0.0.1 at a free port, prints `port <n>` once it accepts connections, and writes each
accepted message to <dir>/<n>.json (envelope and raw content). It can refuse messages the way real
servers do, so the tests see retries and failures:
  --refuse-first N   answer the first N messages with 451 (try again later)
  --refuse-always    answer every message with 550 (mailbox unavailable)
It stops when its standard input closes, so it never outlives the test that started it.
"""

import argparse
import asyncio
import json
import os
import sys

from aiosmtpd.smtp import SMTP


class Sink:
    def __init__(self, directory, refuse_first, refuse_always):
        self.directory = directory
        self.refuse_first = refuse_first
        self.refuse_always = refuse_always
        self.offered = 0
        self.accepted = 0

    async def handle_DATA(self, server, session, envelope):
        self.offered += 1
        if self.refuse_always:
            return "550 5.2.1 Mailbox unavailable (refused by the test server)"
        if self.offered <= self.refuse_first:
            return "451 4.3.2 Try again later (refused by the test server)"
        self.accepted += 1
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "content": envelope.content.decode("utf-8", "replace"),
        }
        path = os.path.join(self.directory, f"{self.accepted:05}.json")
        with open(path + ".tmp", "w") as f:
            json.dump(record, f)
        os.rename(path + ".tmp", path)  # readers never see half a message
        return "250 2.0.0 OK"


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", required=True)
    parser.add_argument("--refuse-first", type=int, default=0)
    parser.add_argument("--refuse-always", action="store_true")
    args = parser.parse_args()

    sink = Sink(args.dir, args.refuse_first, args.refuse_always)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(sink, hostname="sink.test"), "127.0.0.1", 0)
    print(f"port {server.sockets[0].getsockname()[1]}", flush=True)

    stdin_closed = loop.create_future()

    def watch_stdin():
        sys.stdin.read()
        loop.call_soon_threadsafe(stdin_closed.set_result, None)

    loop.run_in_executor(None, watch_stdin)
    await stdin_closed
    server.close()


if __name__ == "__main__":
    asyncio.run(main())
