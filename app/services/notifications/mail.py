"""Outgoing e-mail: a message is queued as a job in the sender's transaction (so it leaves only
if that commits) and delivered over SMTP by the worker, with the queue's retries and backoff.

Without ``TECHX_MAIL_SMTP_HOST`` a delivery fails and is retried until it is dead-lettered, where
``GET /api/v1/admin/jobs`` shows it: an invitation is never dropped silently.
"""

from __future__ import annotations

import asyncio
import smtplib
from email.message import EmailMessage
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import MailSettings, get_settings
from app.services.jobs import queue

KIND = "mail.send"


class MailNotConfigured(RuntimeError):
    pass


async def send_later(session: AsyncSession, *, to: str, subject: str, body: str) -> None:
    """Queue one plain-text message to ``to``."""
    await queue.enqueue(session, KIND, {"to": to, "subject": subject, "body": body})


def _deliver(settings: MailSettings, payload: dict[str, Any]) -> None:
    if not settings.smtp_host:
        raise MailNotConfigured("TECHX_MAIL_SMTP_HOST is not set: no e-mail can leave")
    message = EmailMessage()
    message["From"] = settings.from_address
    message["To"] = payload["to"]
    message["Subject"] = payload["subject"]
    message.set_content(payload["body"])
    timeout = settings.timeout_seconds
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=timeout) as smtp:
        if settings.smtp_starttls:
            smtp.starttls()
        if settings.smtp_username:
            smtp.login(settings.smtp_username, settings.smtp_password or "")
        smtp.send_message(message)


@queue.handler(KIND)
async def deliver(session: AsyncSession, payload: dict[str, Any]) -> None:
    await asyncio.to_thread(_deliver, get_settings().mail, payload)
