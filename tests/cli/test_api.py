"""`kbgen api token ...` and what `kbgen api` costs the other commands (nothing)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import KbBuilder, assert_clean_failure, run_kbgen


def test_token_create_prints_it_once_list_never_does_revoke_by_agent(kb: KbBuilder) -> None:
    made = run_kbgen("api", "token", "create", "--agent", "maya", cwd=kb.root)
    assert made.code == 0 and made.stdout.startswith("kbg_") and "shown once" in made.stderr
    token = made.stdout.strip()
    listed = run_kbgen("api", "token", "list", cwd=kb.root)
    assert "maya" in listed.stdout and "valid" in listed.stdout and token not in listed.stdout
    revoked = run_kbgen("api", "token", "revoke", "maya", cwd=kb.root)
    assert revoked.code == 0 and "revoked token" in revoked.stdout
    (entry,) = json.loads(run_kbgen("api", "token", "list", "--json", cwd=kb.root).stdout)
    assert entry["agent"] == "maya" and entry["revoked"] and set(entry) == {"id", "agent", "created", "revoked"}
    assert_clean_failure(run_kbgen("api", "token", "revoke", "maya", cwd=kb.root))
    assert_clean_failure(run_kbgen("api", "token", "create", "--agent", "two words", cwd=kb.root))


def test_the_scaffold_keeps_tokens_out_of_git(tmp_path: Path) -> None:
    assert run_kbgen("init", "help", cwd=tmp_path).code == 0
    assert ".kbgen/" in (tmp_path / "help" / ".gitignore").read_text().splitlines()
    assert "gaps/signals/*.jsonl merge=union" in (tmp_path / "help" / ".gitattributes").read_text()


def test_the_command_line_never_loads_the_service_libraries() -> None:
    code = ("import sys, kbgen.cli, kbgen.agents; "
            "print(sorted(m for m in ('fastapi', 'pydantic', 'uvicorn', 'starlette') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
