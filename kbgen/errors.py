"""One exception family and one diagnostic type, each carrying file, line and key.

Every problem kbgen reports to a person goes through these, so the CLI can print it in one
place and the mkdocs plugin can turn it into a build error.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True, order=True)
class Diagnostic:
    """A problem found in the knowledge base, worded for an editor."""

    path: str  # relative to the project root, POSIX separators
    line: int  # 1-based; 0 when the problem concerns the whole file
    severity: str  # ERROR | WARNING
    rule: str  # stable identifier, e.g. "missing-title"
    message: str
    key: str = ""  # front-matter key, when there is one

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    def location(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where} ({self.key})" if self.key else where

    def __str__(self) -> str:
        return f"{self.location()}: {self.severity}: {self.message} [{self.rule}]"

    def to_dict(self) -> dict[str, object]:
        # the fields in order, as dataclasses.asdict gives them, at a tenth of its cost (`check --json`
        # writes thousands)
        return {"path": self.path, "line": self.line, "severity": self.severity, "rule": self.rule,
                "message": self.message, "key": self.key}


class KbgenError(Exception):
    """An error the user can fix; printed as one line, never as a traceback."""

    def __init__(self, message: str, *, path: str | Path | None = None, line: int = 0, key: str = ""):
        super().__init__(message)
        self.message = message
        self.path = str(path) if path is not None else None
        self.line = line
        self.key = key

    def __str__(self) -> str:
        where = ""
        if self.path:
            where = f"{self.path}:{self.line}" if self.line else self.path
            if self.key:
                where += f" ({self.key})"
            where += ": "
        return where + self.message


class ProjectNotFound(KbgenError):
    """No knowledge base (mkdocs.yml with a kb folder) at or above the working folder."""
