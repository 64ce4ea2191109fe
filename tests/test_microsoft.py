"""Microsoft 365 with OAuth 2.0: the device-code sign-in up to the requests it sends (played by
a local stand-in for Microsoft's endpoints), the owner-only token cache, the silent refresh, and
send in a campaign signed in that way, against the local SMTP server's XOAUTH2."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from msp_assessment.campaign import microsoft
from tests.support.mail import campaign_in, invoke
from tests.support.microsoft_endpoints import TENANT, Endpoints
from tests.support.smtp_server import OAUTH_TOKEN, SmtpServer


def test_device_code_sign_in__the_requests_the_cache_and_a_silent_refresh(tmp_path: Path) -> None:
    endpoints = Endpoints("id-app", ["token-1", "token-2"], expires_in=0)
    shown: list[str] = []
    who = microsoft.login(tmp_path, "id-app", TENANT, shown.append, endpoints)
    assert who == "canal@contoso.onmicrosoft.com"
    assert shown == ["Abra https://microsoft.com/devicelogin e introduzca el código ABCD-1234."]
    device = next(r for r in endpoints.requests if r[1].endswith("/devicecode"))
    assert device[2]["client_id"] == "id-app"
    scopes = set(device[2]["scope"].split())
    assert {"https://outlook.office.com/SMTP.Send", "offline_access"} <= scopes
    assert "https://outlook.office.com/IMAP.AccessAsUser.All" in scopes
    grant = next(r for r in endpoints.requests if r[1].endswith("/token"))
    assert grant[2]["grant_type"] == "urn:ietf:params:oauth:grant-type:device_code"
    cache = tmp_path / microsoft.CACHE_NAME
    assert stat.S_IMODE(cache.stat().st_mode) == 0o600  # it holds a refresh token
    # The first token has expired (expires_in=0): the next one comes by the refresh token.
    assert microsoft.access_token(tmp_path, "id-app", TENANT, endpoints) == "token-2"
    refresh = endpoints.requests[-1]
    assert refresh[2]["grant_type"] == "refresh_token"
    assert refresh[2]["refresh_token"] == "token-de-renovacion"


def test_campaign_signed_in_to_microsoft_365__send_uses_xoauth2__no_password(
    tmp_path: Path, server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    endpoints = Endpoints("id-app", [OAUTH_TOKEN, OAUTH_TOKEN])
    monkeypatch.setattr(microsoft, "HTTP_CLIENT", endpoints)
    monkeypatch.delenv("MSP_SMTP_PASSWORD")  # no password anywhere: a prompt would abort
    rows = [("C-1", "Uno", "Ana", "ana@uno.es")]
    root = campaign_in(tmp_path, server, rows, monkeypatch, sender="c@contoso.onmicrosoft.com")
    signed = invoke("login", "--client-id", "id-app", "--tenant", TENANT)
    assert signed.exit_code == 0, signed.output
    assert "introduzca el código ABCD-1234" in signed.output
    assert "[microsoft365]" in (root / "campaña.toml").read_text(encoding="utf-8")
    assert invoke("prepare").exit_code == 0
    sent = invoke("send")
    assert sent.exit_code == 0, sent.output
    assert [r.recipients for r in server.recorder.received] == [["ana@uno.es"]]
