"""An SMTP sink for the mail tests (tests/it/mail.rs).

A real SMTP server (aiosmtpd) on 127.0.0.1: prints `listening on HOST:PORT` once it listens, then
every message it receives as one JSON line on stdout — envelope sender and recipients, subject, and
the plain-text body as decoded from its transfer encoding. It accepts every message.

    python sink.py --port 0     # 0: any free port (the line says which)
"""

import argparse
import asyncio
import email
import json
from email import policy

from aiosmtpd.smtp import SMTP


class Sink:
    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content or envelope.content,
                                           policy=policy.default)
        part = message.get_body(preferencelist=("plain",))
        record = {
            "from": envelope.mail_from,
            "to": envelope.rcpt_tos,
            "header_from": str(message["From"] or ""),
            "subject": str(message["Subject"] or ""),
            "content_type": message.get_content_type(),
            "body": part.get_content() if part is not None else "",
        }
        print(json.dumps(record), flush=True)
        return "250 Message accepted for delivery"


async def serve(port):
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(Sink(), hostname="sink.test"), "127.0.0.1", port
    )
    host, bound = server.sockets[0].getsockname()[:2]
    print(f"listening on {host}:{bound}", flush=True)
    await server.serve_forever()


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    asyncio.run(serve(args.port))


if __name__ == "__main__":
    main()
