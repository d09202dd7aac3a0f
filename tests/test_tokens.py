"""The service's bearer tokens: shown once, kept as salted hashes, revocable."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from kbgen.errors import KbgenError
from kbgen.tokens import TokenStore


def test_a_token_verifies_until_revoked(tmp_path: Path) -> None:
    store = TokenStore(tmp_path)
    token, text = store.create("maya")
    other, other_text = store.create("bot-1")
    assert text.startswith(f"kbg_{token.id}_") and store.verify(text).agent == "maya"
    saved = (tmp_path / ".kbgen" / "tokens.json").read_text()
    assert text.split("_", 2)[2] not in saved and stat.S_IMODE((tmp_path / ".kbgen" / "tokens.json").stat().st_mode) == 0o600
    assert [t["agent"] for t in json.loads(saved)["tokens"]] == ["maya", "bot-1"]
    assert [t.agent for t in store.revoke("maya")] == ["maya"]
    assert store.verify(text) is None and store.verify(other_text).agent == "bot-1"
    with pytest.raises(KbgenError):
        store.revoke("maya")  # nothing valid left to revoke


@pytest.mark.parametrize("text", ["", "Bearer", "kbg_", "kbg_zzzzzzzzzzzz_" + "a" * 43, "x" * 10_000])
def test_malformed_tokens_are_refused(tmp_path: Path, text: str) -> None:
    TokenStore(tmp_path).create("maya")
    assert TokenStore(tmp_path).verify(text) is None


def test_a_wrong_secret_for_a_real_id_is_refused(tmp_path: Path) -> None:
    token, text = TokenStore(tmp_path).create("maya")
    forged = text[:-1] + ("A" if text[-1] != "A" else "B")
    assert TokenStore(tmp_path).verify(forged) is None


@pytest.mark.parametrize("agent", ["", "two words", "a" * 101, "-dash"])
def test_agent_names_are_plain(tmp_path: Path, agent: str) -> None:
    with pytest.raises(KbgenError):
        TokenStore(tmp_path).create(agent)
