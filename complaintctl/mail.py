"""Sending the digest by e-mail (SMTP, with STARTTLS or SSL); nothing else."""

from __future__ import annotations

import os
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from complaintctl.config import SmtpSettings
from complaintctl.errors import ComplaintError, ConfigError
from complaintctl.messages import N_

EXIT_MAIL_FAILED = 4


class MailError(ComplaintError):
    """The message could not be handed to the SMTP server."""

    exit_code = EXIT_MAIL_FAILED


def build_message(
    smtp: SmtpSettings, to: list[str], subject: str, text: str, html_body: str
) -> EmailMessage:
    """A multipart/alternative message: the plain-text digest and its HTML twin."""
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = smtp.sender
    msg["To"] = ", ".join(to)
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(domain=smtp.sender.rpartition("@")[2] or None)
    msg.set_content(text)
    msg.add_alternative(html_body, subtype="html")
    return msg


def smtp_password(smtp: SmtpSettings) -> str | None:
    """The password from the environment variable the config names (checked before any
    output, so a missing one is a config error, not a half-done run)."""
    if not smtp.password_env:
        return None
    password = os.environ.get(smtp.password_env)
    if password is None:
        raise ConfigError(
            N_("smtp.password_env: the environment variable {name} is not set"),
            name=smtp.password_env,
        )
    return password


def send(smtp: SmtpSettings, msg: EmailMessage, password: str | None) -> None:
    """Deliver `msg` through the configured server; any failure is a one-line MailError."""
    context = ssl.create_default_context()
    try:
        if smtp.security == "ssl":
            server = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=smtp.timeout, context=context)
        else:
            server = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
        with server:
            if smtp.security == "starttls":
                server.starttls(context=context)
            if smtp.user:
                server.login(smtp.user, password or "")
            refused = server.send_message(msg)
    except (OSError, smtplib.SMTPException) as exc:
        raise MailError(
            N_("mail not sent via {host}:{port}: {error}"),
            host=smtp.host,
            port=smtp.port,
            error=f"{exc.__class__.__name__}: {exc}",
        ) from None
    if refused:
        raise MailError(N_("mail refused for: {addresses}"), addresses=", ".join(sorted(refused)))
