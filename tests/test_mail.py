"""Outgoing e-mail: a queued message reaches an SMTP server; without one it fails loudly."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from app.core.config import MailSettings, get_settings
from app.services.notifications import mail


class Sink:
    """A minimal SMTP server on a free loopback port that keeps the messages it receives."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"220 sink ready\r\n")
        data: list[bytes] | None = None
        while line := await reader.readline():
            if data is not None:
                if line == b".\r\n":
                    self.messages.append(b"".join(data).decode())
                    data = None
                    writer.write(b"250 queued\r\n")
                else:
                    data.append(line)
                continue
            verb = line[:4].upper()
            if verb == b"DATA":
                data = []
                writer.write(b"354 go on\r\n")
            elif verb == b"QUIT":
                writer.write(b"221 bye\r\n")
                await writer.drain()
                break
            else:
                writer.write(b"250 ok\r\n")
            await writer.drain()
        writer.close()


@pytest.fixture
async def sink(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Sink]:
    found = Sink()
    server = await asyncio.start_server(found.handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    settings = get_settings().model_copy(
        update={"mail": MailSettings(smtp_host="127.0.0.1", smtp_port=port)}
    )
    monkeypatch.setattr(mail, "get_settings", lambda: settings)
    async with server:
        yield found


async def test_a_queued_message_reaches_the_smtp_server(sink: Sink) -> None:
    payload = {"to": "binh@example.vn", "subject": "Lời mời", "body": "Mã mời: abc"}
    await mail.deliver(None, payload)  # type: ignore[arg-type]
    (message,) = sink.messages
    assert "To: binh@example.vn" in message
    assert "From: no-reply@techx.invalid" in message


async def test_without_a_mail_server_delivery_fails_so_the_job_is_retried(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = get_settings().model_copy(update={"mail": MailSettings()})
    monkeypatch.setattr(mail, "get_settings", lambda: settings)
    with pytest.raises(mail.MailNotConfigured):
        await mail.deliver(None, {"to": "a@example.vn", "subject": "s", "body": "b"})  # type: ignore[arg-type]
