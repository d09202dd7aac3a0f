"""Where this kbgen came from, as the pip requirements a knowledge base's CI installs it with.

`kbgen init` writes them to `requirements-kbgen.txt`, the one file every scaffolded workflow
installs from, so the site is built by the kbgen that made the knowledge base. The source, first
found wins:

1. `--kbgen-source` (or KBGEN_SOURCE): a pip git URL with the commit or tag to pin,
   `git+https://github.com/acme/kbgen@<commit>`.
2. The git repository and commit this kbgen was installed from, as pip recorded it (PEP 610
   `direct_url.json`), so a knowledge base made by a kbgen installed from git pins the same.
3. Otherwise the version, `kbgen==0.1.0`, which a package index must serve (PyPI once kbgen is
   published there, or a team's own index); `init` warns, because that is not known to hold.

kbgen and its encoder (`kbgen-minilm`, models/kbgen-minilm in the same repository) are pinned
together: the same commit, or the versions this kbgen runs with.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from importlib import metadata
from urllib.parse import urlsplit

from . import __version__
from .errors import KbgenError

MODEL_PACKAGE = "kbgen-minilm"
MODEL_SUBDIRECTORY = "models/kbgen-minilm"
_SCHEMES = ("https", "http", "ssh", "file", "git")
# a ref is a commit or a tag: nothing a requirements file or a shell would read as syntax
_REF = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/+-]*")
_UNSAFE = re.compile(r"[\s#;'\"\\`$<>|&]")


@dataclass(frozen=True)
class Source:
    """A git repository of kbgen and the commit or tag to install, or neither (a package index)."""

    repository: str = ""  # git+https://github.com/acme/kbgen ("" means: from a package index)
    ref: str = ""
    found_by: str = "index"  # option | installed | index: what the message to the user says

    def requirements(self) -> list[str]:
        """The requirement lines, the encoder first (kbgen requires it by exact version)."""
        if not self.repository:
            return [f"{MODEL_PACKAGE}=={model_version()}", f"kbgen=={__version__}"]
        url = f"{self.repository}@{self.ref}"
        return [f"{MODEL_PACKAGE} @ {url}#subdirectory={MODEL_SUBDIRECTORY}", f"kbgen @ {url}"]


def parse_source(text: str) -> Source:
    """A `--kbgen-source` value, checked: `git+<url>@<commit or tag>` and nothing else."""
    value = text.strip()
    hint = "give a git URL with the commit or tag to pin, like git+https://github.com/acme/kbgen@v0.1.0"
    if not value.startswith("git+") or _UNSAFE.search(value):
        raise KbgenError(f"--kbgen-source: '{text}' is not a pip git URL; {hint}")
    parts = urlsplit(value[4:])
    if parts.scheme not in _SCHEMES or parts.query or parts.fragment:
        raise KbgenError(f"--kbgen-source: '{text}' is not a pip git URL; {hint}")
    if not parts.netloc:  # pip refuses `name @ git+file:///path`: a requirement's URL names a host
        raise KbgenError(f"--kbgen-source: '{text}' names no host; for a repository on this machine write "
                         "git+file://localhost/path/to/kbgen@<commit>")
    if parts.password:
        raise KbgenError("--kbgen-source: the URL holds a password; it would be written into the repository")
    if "@" not in parts.path:
        raise KbgenError(f"--kbgen-source: '{text}' names no commit or tag, so CI would install whatever is newest; {hint}")
    path, ref = parts.path.rsplit("@", 1)
    if not path.strip("/") or not _REF.fullmatch(ref) or ".." in ref:
        raise KbgenError(f"--kbgen-source: '{ref}' is not a commit or tag; {hint}")
    return Source(value[: len(value) - len(ref) - 1], ref, "option")


def installed_source() -> Source | None:
    """The git repository and commit pip installed this kbgen from, when it was installed from git."""
    try:
        raw = metadata.distribution("kbgen").read_text("direct_url.json")
    except metadata.PackageNotFoundError:
        return None
    try:
        data = json.loads(raw or "")
        vcs = data.get("vcs_info") or {}
        url, commit = str(data["url"]), str(vcs.get("commit_id", ""))
    except (ValueError, KeyError, AttributeError, TypeError):
        return None
    if vcs.get("vcs") != "git" or not commit or data.get("subdirectory"):
        return None
    try:
        return Source(parse_source(f"git+{url}@{commit}").repository, commit, "installed")
    except KbgenError:  # a URL pip accepted that a requirements file should not carry
        return None


def find_source(option: str | None) -> Source:
    """The source `init` pins: the option, else where this kbgen was installed from, else the index."""
    if option and option.strip():
        return parse_source(option)
    return installed_source() or Source()


def model_version() -> str:
    """The version of the encoder package this kbgen runs with."""
    try:
        return metadata.version(MODEL_PACKAGE)
    except metadata.PackageNotFoundError:
        return "1.0.0"  # kbgen's own requirement (pyproject.toml), when it runs from a source tree
