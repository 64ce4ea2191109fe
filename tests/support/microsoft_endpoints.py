"""Microsoft's identity platform, played locally for msal (no network here): the discovery
document, the device-code endpoint and the token endpoint, as their documentation shows them.
Every request is kept, so a test can check what would have been sent."""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass, field
from typing import Any

TENANT = "contoso.onmicrosoft.com"
AUTHORITY = f"https://login.microsoftonline.com/{TENANT}"


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


@dataclass
class Response:
    status_code: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return json.dumps(self.body)

    def raise_for_status(self) -> None:
        if self.status_code >= 400:
            raise RuntimeError(f"HTTP {self.status_code}")


@dataclass
class Endpoints:
    """msal's http_client: answers as Microsoft would; ``tokens`` are handed out in turn."""

    client_id: str
    tokens: list[str]
    user: str = "canal@contoso.onmicrosoft.com"
    expires_in: int = 3600
    requests: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)

    def get(self, url: str, params: Any = None, headers: Any = None, **_: Any) -> Response:
        self.requests.append(("GET", url, dict(params or {})))
        return Response(
            200,
            {
                "authorization_endpoint": f"{AUTHORITY}/oauth2/v2.0/authorize",
                "token_endpoint": f"{AUTHORITY}/oauth2/v2.0/token",
                "device_authorization_endpoint": f"{AUTHORITY}/oauth2/v2.0/devicecode",
                "issuer": f"{AUTHORITY}/v2.0",
            },
        )

    def post(self, url: str, params: Any = None, data: Any = None, **_: Any) -> Response:
        self.requests.append(("POST", url, dict(data or {})))
        if url.endswith("/devicecode"):
            return Response(
                200,
                {
                    "user_code": "ABCD-1234",
                    "device_code": "codigo-de-dispositivo",
                    "verification_uri": "https://microsoft.com/devicelogin",
                    "expires_in": 900,
                    "interval": 0,
                    "message": "To sign in, use a web browser…",
                },
            )
        now = int(time.time())
        claims = {
            "aud": self.client_id,
            "iss": f"{AUTHORITY}/v2.0",
            "iat": now,
            "exp": now + 3600,
            "oid": "objeto-1",
            "tid": "inquilino-1",
            "preferred_username": self.user,
        }
        return Response(
            200,
            {
                "token_type": "Bearer",
                "scope": "https://outlook.office.com/SMTP.Send "
                "https://outlook.office.com/IMAP.AccessAsUser.All",
                "expires_in": self.expires_in,
                "access_token": self.tokens.pop(0),
                "refresh_token": "token-de-renovacion",
                "id_token": f"{_b64({'alg': 'none'})}.{_b64(claims)}.",
                "client_info": _b64({"uid": "objeto-1", "utid": "inquilino-1"}),
            },
        )
