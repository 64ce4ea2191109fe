"""Microsoft 365 with OAuth 2.0: ``login`` once with the device code, then tokens refreshed
silently for send (SMTP) and collect (IMAP).

Microsoft's own library (msal) does the protocol: the device-code flow (the user opens
https://microsoft.com/devicelogin on any device and types the code) and the refresh. Its token
cache is kept in the campaign folder, readable by its owner only; the password never exists.
The app registration (its client id and tenant) is the organisation's: see the README.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from msp_assessment._files import write_atomic
from msp_assessment.errors import CampaignError

SCOPES = [
    "https://outlook.office.com/SMTP.Send",
    "https://outlook.office.com/IMAP.AccessAsUser.All",
]
CACHE_NAME = ".token-microsoft365.json"  # the campaign's token cache (owner-only)
# What msal talks HTTP through: None, its own (requests); the tests put Microsoft's endpoints,
# played locally, here.
HTTP_CLIENT: Any = None


def _app(root: Path, client_id: str, tenant: str, http_client: Any = None) -> tuple[Any, Any]:
    import msal  # Microsoft's own library, only when Microsoft 365 is used

    http_client = http_client or HTTP_CLIENT
    cache = msal.SerializableTokenCache()
    path = root / CACHE_NAME
    if path.exists():
        cache.deserialize(path.read_text(encoding="utf-8"))
    extra: dict[str, Any] = {"http_client": http_client} if http_client is not None else {}
    app = msal.PublicClientApplication(
        client_id,
        authority=f"https://login.microsoftonline.com/{tenant}",
        token_cache=cache,
        instance_discovery=http_client is None,
        **extra,
    )
    return app, cache


def _save(root: Path, cache: Any) -> None:
    """The cache, written atomically and readable by its owner only (it holds a refresh token)."""
    if not cache.has_state_changed:
        return
    data = cache.serialize().encode("utf-8")
    target = root / CACHE_NAME
    write_atomic(target, lambda stream: stream.write(data), private=True)


def login(
    root: Path,
    client_id: str,
    tenant: str,
    show: Callable[[str], None],
    http_client: Any = None,
) -> str:
    """The device-code flow: ``show`` says where to go and which code to type; returns the
    account signed in. CampaignError, in Spanish, when Microsoft says no."""
    app, cache = _app(root, client_id, tenant, http_client)
    flow = app.initiate_device_flow(scopes=SCOPES)
    if "user_code" not in flow:
        raise CampaignError(
            "Microsoft no dio un código de inicio de sesión "
            f"({flow.get('error_description') or flow.get('error') or 'sin motivo'}). Compruebe "
            "el id. de aplicación y el inquilino."
        )
    uri = flow.get("verification_uri", "https://microsoft.com/devicelogin")
    show(f"Abra {uri} e introduzca el código {flow['user_code']}.")
    result = app.acquire_token_by_device_flow(flow)
    if "access_token" not in result:
        raise CampaignError(
            "No se pudo iniciar la sesión de Microsoft 365 "
            f"({result.get('error_description') or result.get('error')})."
        )
    _save(root, cache)
    claims = result.get("id_token_claims") or {}
    return str(claims.get("preferred_username") or claims.get("upn") or "")


def access_token(root: Path, client_id: str, tenant: str, http_client: Any = None) -> str:
    """A valid access token for the account signed in with ``login`` (refreshed silently)."""
    app, cache = _app(root, client_id, tenant, http_client)
    accounts = app.get_accounts()
    result = app.acquire_token_silent(SCOPES, account=accounts[0]) if accounts else None
    if not result or "access_token" not in result:
        raise CampaignError(
            "No hay sesión de Microsoft 365 válida para esta campaña: inicie una con "
            "«msp-assessment login»."
        )
    _save(root, cache)
    return str(result["access_token"])
