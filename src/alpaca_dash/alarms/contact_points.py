"""Contact points, built from the settings: a webhook (one JSON POST with a Mattermost/Slack-compatible ``text``) and
e-mail over SMTP. Each message carries its outbox id, so a receiver can tell a retry from a new message."""

from __future__ import annotations

from typing import Protocol

from alpaca_dash.alarms.outbox import Message, Notify
from alpaca_dash.config import Settings

WEBHOOK = "webhook"
EMAIL = "email"
TIMEOUT_SECONDS = 10.0


class DeliveryError(RuntimeError):
    """A contact point that did not take the message, with the reason."""


class ContactPoint(Protocol):
    name: str

    def send(self, message: Message) -> None:
        """Deliver ``message``; :raises DeliveryError: when the receiver did not take it."""


class Webhook:
    """A JSON POST: ``text`` (what Mattermost and Slack show), ``run`` and ``alarms``, with an ``Idempotency-Key``."""

    name = WEBHOOK

    def __init__(self, url: str, *, timeout: float = TIMEOUT_SECONDS) -> None:
        self.url = url
        self.timeout = timeout

    def send(self, message: Message) -> None:
        payload = {
            "username": "Alpaca Dashboard",
            "text": f"**{message.subject}**\n{message.body}",
            "run": message.run,
            "alarms": message.alarms,
        }
        headers = {"Idempotency-Key": f"alpaca-dash-{message.id}"}
        import httpx  # here: a command that only hands messages to the outbox never loads it

        try:
            response = httpx.post(self.url, json=payload, headers=headers, timeout=self.timeout)
        except httpx.HTTPError as exc:
            raise DeliveryError(f"webhook unreachable: {type(exc).__name__}: {exc}") from exc
        if response.status_code >= 300:
            raise DeliveryError(f"webhook answered {response.status_code}: {response.text[:200]}")


class Email:
    """One e-mail per message over SMTP (STARTTLS and login when configured); its Message-ID names the outbox row."""

    name = EMAIL

    def __init__(self, settings: Settings, *, timeout: float = TIMEOUT_SECONDS) -> None:
        self.settings = settings
        self.timeout = timeout

    def send(self, message: Message) -> None:
        import smtplib
        from email.message import EmailMessage

        s = self.settings
        mail = EmailMessage()
        mail["Subject"] = message.subject
        mail["From"] = s.notify_email_from
        mail["To"] = ", ".join(s.notify_email_to)
        mail["Message-ID"] = f"<alpaca-dash-{message.id}@{s.notify_email_from.rpartition('@')[2] or 'localhost'}>"
        mail.set_content(message.body)
        try:
            with smtplib.SMTP(s.notify_smtp_host, s.notify_smtp_port, timeout=self.timeout) as smtp:
                if s.notify_smtp_starttls:
                    smtp.starttls()
                if s.notify_smtp_user:
                    smtp.login(s.notify_smtp_user, s.notify_smtp_password)
                smtp.send_message(mail)
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(f"SMTP {s.notify_smtp_host}:{s.notify_smtp_port}: {type(exc).__name__}: {exc}") from exc


def contact_points(settings: Settings) -> list[ContactPoint]:
    """The contact points the settings configure (none when they configure none)."""
    found: list[ContactPoint] = []
    if settings.notify_webhook_token_url:
        found.append(Webhook(settings.notify_webhook_token_url))
    if settings.notify_smtp_host and settings.notify_email_to:
        found.append(Email(settings))
    return found


def notify_of(settings: Settings) -> Notify | None:
    """What the quality evaluator needs to write a run's messages: the configured contact points, if any."""
    points = contact_points(settings)
    return Notify([point.name for point in points], settings.notify_group_seconds) if points else None
