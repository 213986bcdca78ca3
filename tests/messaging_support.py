"""Test helpers for the messaging tests: an SMTP sink on loopback with fault injection."""

import email
import email.policy
import socket
import threading
from collections import Counter

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP


class FaultySink:
    """aiosmtpd handler keeping every accepted message; can answer 421/451 or drop connections.

    With `pipelining`, the server offers PIPELINING and the client sends MAIL, RCPT and
    DATA in one write. Every `fail_every`-th DATA gets `fail_code`; every `drop_every`-th
    DATA has its connection dropped before the answer (the client never hears 250: not
    accepted).
    """

    def __init__(
        self,
        *,
        fail_every=0,
        fail_code="451 4.3.0 Try again later",
        drop_every=0,
        refuse=None,
        pipelining=False,
    ):
        self.pipelining = pipelining  # offer RFC 2920 PIPELINING in the EHLO answer
        self.fail_every = fail_every
        self.fail_code = fail_code
        self.drop_every = drop_every
        self.refuse = refuse or {}  # address -> answer, e.g. "550 5.1.1 No such user"
        self.transactions = 0
        self.messages: list[email.message.Message] = []
        self.lock = threading.Lock()

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        if self.pipelining:
            return [*responses[:-1], "250-PIPELINING", responses[-1]]
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.transactions += 1
            n = self.transactions
        if self.drop_every and n % self.drop_every == 0:
            server.transport.close()
            return "421 dropped"
        if self.fail_every and n % self.fail_every == 0:
            return self.fail_code
        with self.lock:
            self.messages.append(
                email.message_from_bytes(envelope.content, policy=email.policy.default)
            )
        return "250 Message accepted"

    def message_ids(self) -> Counter:
        with self.lock:
            return Counter(m["Message-ID"] for m in self.messages)

    def by_recipient(self) -> Counter:
        with self.lock:
            return Counter(m["To"] for m in self.messages)


class SinkController(Controller):
    def factory(self):
        return SMTP(self.handler, hostname="sink.local", ident="sink")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_sink(handler) -> SinkController:
    controller = SinkController(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    return controller


def use_sink(settings, controller) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 5
