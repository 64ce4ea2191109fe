"""How a mail connection is encrypted: what send and collect use, and how a person names it.

Apart from send.py (which imports smtplib and ssl), so that the command line can offer the names
without paying for them.
"""

from __future__ import annotations

from enum import StrEnum


class Security(StrEnum):
    NONE = "none"
    STARTTLS = "starttls"
    SSL = "ssl"


# How a person names a connection's encryption, in campaña.toml and on the command line.
SECURITY_NAMES = {Security.STARTTLS: "starttls", Security.SSL: "ssl", Security.NONE: "ninguno"}
SECURITY_BY_NAME = {name: security for security, name in SECURITY_NAMES.items()}
