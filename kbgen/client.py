"""The command line as the team service's client: `kbgen ask` and `kbgen log` over HTTP.

With `KBGEN_SERVER` and `KBGEN_TOKEN` set, an agent needs kbgen installed and nothing else: no
clone, no knowledge base, no engine. Only the standard library (urllib) is used, so start-up
stays fast. The token travels only in the Authorization header, to the server named: never in
a message, never after a redirect, never over plain HTTP to another machine (unless
`KBGEN_INSECURE=1` says the network is trusted).
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from .errors import KbgenError

TIMEOUT = 60.0  # seconds for one request; a batch of 500 questions takes about 2 s on 2 cores
_TOKEN_CHARS = re.compile(r"^[\x21-\x7e]{1,500}$")  # printable ASCII: what a header can carry as it is


class ServiceError(KbgenError):
    """The service could not be reached, or refused a request: STATUS (0: no answer) and the field at fault."""

    def __init__(self, message: str, status: int = 0, field: str = ""):
        super().__init__(message, key=field)
        self.status = status
        self.field = field


def configured() -> bool:
    """Whether this process talks to a team service instead of a local knowledge base."""
    return bool(os.environ.get("KBGEN_SERVER", "").strip())


@dataclass(frozen=True)
class Client:
    """One service: its base address and the bearer token (never shown: repr hides it)."""

    base: str
    token: str

    def __repr__(self) -> str:
        return f"Client({self.base!r})"

    @classmethod
    def from_env(cls) -> Client:
        """The service named by KBGEN_SERVER, with KBGEN_TOKEN; ServiceError for a setting that is
        missing, malformed or would send the token in clear."""
        server = os.environ.get("KBGEN_SERVER", "").strip()
        token = os.environ.get("KBGEN_TOKEN", "").strip()
        if not token:
            raise ServiceError("KBGEN_SERVER is set but KBGEN_TOKEN is not: ask your admin for a token "
                               "(kbgen api token create --agent NAME)")
        if not _TOKEN_CHARS.match(token):
            raise ServiceError("KBGEN_TOKEN is not a token: it holds spaces or characters a header cannot carry")
        return cls(checked_base(server, insecure=os.environ.get("KBGEN_INSECURE", "") == "1"), token)

    def post(self, path: str, body: Any) -> tuple[int, Any]:
        """(status, parsed JSON) of a 2xx answer to POST PATH; ServiceError otherwise."""
        import urllib.error
        import urllib.request

        request = urllib.request.Request(
            self.base + path, data=json.dumps(body).encode(),
            method="POST", headers={"Content-Type": "application/json", "Accept": "application/json",
                                    "Authorization": f"Bearer {self.token}", "User-Agent": "kbgen-cli"})
        opener = urllib.request.build_opener(_no_redirect())
        try:
            with opener.open(request, timeout=TIMEOUT) as response:
                return response.status, _parsed(response.read(), response.status, self.base)
        except urllib.error.HTTPError as exc:
            raise self._refused(exc.code, exc.read(), exc.headers.get("Location", "")) from None
        except urllib.error.URLError as exc:
            reason = exc.reason
            text = getattr(reason, "strerror", None) or str(reason)
            raise ServiceError(f"cannot reach the kbgen service at {self.base}: {text}") from None
        except TimeoutError:
            raise ServiceError(f"the kbgen service at {self.base} did not answer within {TIMEOUT:.0f} s") from None
        except OSError as exc:  # a connection reset mid-answer, and the like
            raise ServiceError(f"lost the kbgen service at {self.base}: {exc.strerror or exc}") from None

    def _refused(self, status: int, raw: bytes, location: str) -> ServiceError:
        if 300 <= status < 400:
            where = f" to {_shown(location)}" if location else ""
            return ServiceError(f"the kbgen service at {self.base} redirects{where}; set KBGEN_SERVER to the "
                                "final address (the token is not sent on)", status)
        try:
            problem = json.loads(raw)
        except ValueError:
            problem = None
        message = problem.get("error") if isinstance(problem, dict) and isinstance(problem.get("error"), str) else ""
        field = problem.get("field") if isinstance(problem, dict) and isinstance(problem.get("field"), str) else ""
        if status == 401:
            return ServiceError(f"the kbgen service at {self.base} refused KBGEN_TOKEN (unknown or revoked); "
                                "ask your admin for a new one (kbgen api token create --agent NAME)", status)
        if status in (404, 405):
            return ServiceError(f"{self.base} has no kbgen service ({status} {message or 'Not Found'}): is "
                                "KBGEN_SERVER the service's address?", status)
        if status >= 500 or not message:
            what = message or "no explanation"
            return ServiceError(f"the kbgen service at {self.base} failed ({status}): {what}", status)
        if field:  # "notes[2].channel: Input should be..." says the field twice once it is named
            message = re.sub(rf"^{re.escape(field)}:\s*", "", message)
        return ServiceError(message, status, field)


def checked_base(server: str, insecure: bool = False) -> str:
    """SERVER as a base address without a trailing slash; plain http only to this machine (or with INSECURE)."""
    parts = urlsplit(server)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ServiceError(f"KBGEN_SERVER must be an http(s) address such as https://kb.example.com, not {_shown(server)!r}")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise ServiceError("KBGEN_SERVER is the service's address alone: no user, password, query or fragment "
                           "(the token goes in KBGEN_TOKEN)")
    if parts.scheme == "http" and not loopback(parts.hostname) and not insecure:
        raise ServiceError(f"KBGEN_SERVER is plain http to another machine ({parts.hostname}): the token would "
                           "travel in clear. Use https, or set KBGEN_INSECURE=1 on a network you trust")
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"


def loopback(host: str) -> bool:
    """Whether HOST is this machine: localhost, 127.0.0.0/8 or ::1."""
    if host.lower() in ("localhost", "localhost.") or host.lower().endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _shown(url: str) -> str:
    """URL without a user or password, to print."""
    parts = urlsplit(url)
    if parts.username or parts.password:
        host = parts.hostname or ""
        return url.replace(parts.netloc, host + (f":{parts.port}" if parts.port else ""), 1)
    return url


def _parsed(raw: bytes, status: int, base: str) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        raise ServiceError(f"the kbgen service at {base} answered {status} with no JSON: is KBGEN_SERVER "
                           "the service's address?", status) from None


def _no_redirect() -> Any:
    import urllib.request

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        """A redirect is an error: following it would send the token to another address."""

        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    return NoRedirect


def batched_post(client: Client, path: str, key: str, items: list[dict[str, Any]], extra: dict[str, Any],
                 size: int = 500) -> tuple[list[dict[str, Any] | None], dict[int, ServiceError]]:
    """POST ITEMS to a batch endpoint in chunks of SIZE: (each item's result, in order, or None when
    refused; the refusals by item index). A chunk over the service's limit (413) is halved; an item
    the service's validation refuses (422 naming "KEY[i]...") is set aside and the rest sent again."""
    results: list[dict[str, Any] | None] = [None] * len(items)
    refused: dict[int, ServiceError] = {}
    pending = [list(range(start, min(start + size, len(items)))) for start in range(0, len(items), size)]
    while pending:
        chunk = pending.pop(0)
        if not chunk:
            continue
        try:
            _, answer = client.post(path, {key: [items[i] for i in chunk], **extra})
        except ServiceError as exc:
            found = re.match(rf"^{key}\[(\d+)\]\.?(.*)$", exc.field or "")
            if exc.status == 413 and len(chunk) > 1:
                half = len(chunk) // 2
                pending[:0] = [chunk[:half], chunk[half:]]
                continue
            if exc.status in (400, 422) and found and int(found[1]) < len(chunk):
                at = int(found[1])
                message = exc.message.replace(exc.field, found[2]) if found[2] else exc.message
                refused[chunk[at]] = ServiceError(message, exc.status, found[2])
                pending.insert(0, chunk[:at] + chunk[at + 1:])
                continue
            raise
        for row in answer.get("results", []):
            results[chunk[row.pop("index")]] = row
    return results, refused


__all__ = ["Client", "ServiceError", "batched_post", "checked_base", "configured", "loopback"]
