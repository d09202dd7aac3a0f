"""Bearer tokens of the team service (`kbgen api`): one an agent or bot, revocable.

A token is shown once, when it is made; only a salted SHA-256 of its secret is kept, in
`.kbgen/tokens.json` under the knowledge base's root (git-ignored: it never reaches a pull
request). The secret is 32 random bytes, so a fast hash is enough: nothing can be guessed.
A token reads `kbg_<id>_<secret>`: the id finds its record, the secret proves it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .errors import KbgenError
from .notes import utc_now

FOLDER = ".kbgen"
FILE = "tokens.json"
_AGENT_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$")
_TOKEN_RE = re.compile(r"^kbg_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$")


@dataclass
class Token:
    """One token's record: never its secret."""

    id: str
    agent: str
    created: str
    salt: str
    hash: str
    revoked: str = ""  # when it was revoked; "" while it is valid

    def public(self) -> dict[str, Any]:
        """What `token list` shows: no salt, no hash."""
        return {"id": self.id, "agent": self.agent, "created": self.created, "revoked": self.revoked or None}


def _digest(salt: str, secret: str) -> str:
    return hashlib.sha256(bytes.fromhex(salt) + secret.encode("ascii")).hexdigest()


class TokenStore:
    """The tokens of one knowledge base."""

    def __init__(self, root: Path):
        self.path = root / FOLDER / FILE
        self._read: tuple[Any, list[Token]] = (None, [])  # the file's stat when last read, and its tokens

    def tokens(self) -> list[Token]:
        """The file's tokens, read again only when it changed (the service checks one a request;
        a revocation replaces the file, so it is seen at the next request)."""
        try:
            info = self.path.stat()
        except FileNotFoundError:
            return []
        except OSError:
            info = None
        stamp = (info.st_ino, info.st_mtime_ns, info.st_size) if info is not None else None
        if stamp is not None and stamp == self._read[0]:
            return self._read[1]
        tokens = self._load()
        self._read = (stamp, tokens)
        return tokens

    def _load(self) -> list[Token]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return []
        except (OSError, ValueError) as exc:
            raise KbgenError(f"the token file cannot be read: {exc}", path=self.path) from None
        try:
            return [Token(**entry) for entry in data["tokens"]]
        except (KeyError, TypeError):
            raise KbgenError("the token file is not one kbgen wrote", path=self.path) from None

    def _save(self, tokens: list[Token]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{FILE}.{os.getpid()}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump({"tokens": [asdict(t) for t in tokens]}, handle, indent=2)
            handle.write("\n")
        os.replace(tmp, self.path)

    def _locked(self) -> Any:
        from .notes import NoteLog

        return NoteLog(self.path.parent).locked()  # the same one-writer lock as the note log, in .kbgen/

    def create(self, agent: str) -> tuple[Token, str]:
        """A new token for AGENT: its record and the token text (shown once, never stored)."""
        if not _AGENT_RE.match(agent or ""):
            raise KbgenError(f"agent name {agent[:40]!r}: use letters, digits and . _ @ - (at most 100)", key="agent")
        secret = secrets.token_urlsafe(32)
        token = Token(id=secrets.token_hex(6), agent=agent, created=utc_now(), salt=secrets.token_hex(16), hash="")
        token.hash = _digest(token.salt, secret)
        with self._locked():
            self._save([*self._load(), token])
        return token, f"kbg_{token.id}_{secret}"

    def revoke(self, which: str) -> list[Token]:
        """Revoke the token with id WHICH, or every valid token of agent WHICH; the ones revoked."""
        with self._locked():
            tokens = self._load()
            chosen = [t for t in tokens if not t.revoked and which in (t.id, t.agent)]
            if not chosen:
                raise KbgenError(f"no valid token has the id or agent {which!r} (see `kbgen api token list`)")
            now = utc_now()
            for token in chosen:
                token.revoked = now
            self._save(tokens)
        return chosen

    def verify(self, text: str) -> Token | None:
        """The valid token TEXT is, or None (malformed, unknown, wrong secret or revoked)."""
        found = _TOKEN_RE.match(text or "")
        if not found:
            return None
        token_id, secret = found.groups()
        for token in self.tokens():
            if token.id == token_id:
                if token.revoked or not hmac.compare_digest(token.hash, _digest(token.salt, secret)):
                    return None
                return token
        return None
