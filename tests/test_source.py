"""Where `kbgen init` says CI installs kbgen from: an option, pip's record of a git install, or an index."""

from __future__ import annotations

import json

import pytest

from kbgen import __version__, source
from kbgen.errors import KbgenError


class _Dist:
    version = "1.0.0"

    def __init__(self, direct_url: object) -> None:
        self.text = direct_url if isinstance(direct_url, str) or direct_url is None else json.dumps(direct_url)

    def read_text(self, name: str) -> str | None:
        return self.text if name == "direct_url.json" else None


def _installed(monkeypatch: pytest.MonkeyPatch, direct_url: object) -> source.Source | None:
    monkeypatch.setattr(source.metadata, "distribution", lambda name: _Dist(direct_url))
    return source.installed_source()


def test_a_git_install_pins_the_commit_pip_recorded(monkeypatch: pytest.MonkeyPatch) -> None:
    found = _installed(monkeypatch, {"url": "https://github.com/acme/kbgen", "vcs_info": {
        "vcs": "git", "requested_revision": "main", "commit_id": "a" * 40}})
    assert found == source.Source("git+https://github.com/acme/kbgen", "a" * 40, "installed")
    assert found.requirements() == [
        f"kbgen-minilm @ git+https://github.com/acme/kbgen@{'a' * 40}#subdirectory=models/kbgen-minilm",
        f"kbgen @ git+https://github.com/acme/kbgen@{'a' * 40}",
    ]
    assert source.find_source(None) == found
    assert source.find_source("git+https://other.test/kbgen@v2").repository == "git+https://other.test/kbgen"


@pytest.mark.parametrize("direct_url", [
    {"url": "file:///work/kbgen", "dir_info": {"editable": True}},  # a source tree: CI cannot reach it
    {"url": "file:///tmp/kbgen-0.1.0-py3-none-any.whl", "archive_info": {}},
    {"url": "https://hg.example.test/kbgen", "vcs_info": {"vcs": "hg", "commit_id": "abc"}},
    {"url": "https://github.com/acme/mono", "subdirectory": "tools/kbgen", "vcs_info": {"vcs": "git", "commit_id": "abc"}},
    {"url": "https://user:token@github.com/acme/kbgen", "vcs_info": {"vcs": "git", "commit_id": "abc"}},
    "not json", None,
])
def test_anything_else_is_this_version_from_an_index(monkeypatch: pytest.MonkeyPatch, direct_url: object) -> None:
    assert _installed(monkeypatch, direct_url) is None
    assert source.find_source(None).requirements() == ["kbgen-minilm==1.0.0", f"kbgen=={__version__}"]


def test_a_source_keeps_the_ssh_user_and_splits_the_ref_off_the_path() -> None:
    found = source.parse_source("git+ssh://git@git.example.test/acme/kbgen.git@v0.1.0")
    assert (found.repository, found.ref) == ("git+ssh://git@git.example.test/acme/kbgen.git", "v0.1.0")
    assert source.parse_source("git+file://localhost/srv/git/kbgen@abc123").ref == "abc123"
    with pytest.raises(KbgenError, match="file://localhost/"):
        source.parse_source("git+file:///srv/git/kbgen@abc123")  # pip refuses a requirement's URL without a host
    with pytest.raises(KbgenError, match="commit or tag"):
        source.parse_source("git+ssh://git@git.example.test/acme/kbgen.git")
