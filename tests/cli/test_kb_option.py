"""`--kb DIR` and KBGEN_KB: every command works on a knowledge base from anywhere."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import assert_clean_failure, copy_demo, run_kbgen


def test_commands_work_on_a_knowledge_base_given_by_option_or_environment(tmp_path: Path) -> None:
    demo = copy_demo(tmp_path / "demo")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    asked = run_kbgen("--kb", str(demo), "ask", "I was charged twice", "--json", cwd=elsewhere)
    assert asked.code == 0, asked.stderr
    assert json.loads(asked.stdout)["results"][0]["slug"] == "charged-twice-refunds"
    checked = run_kbgen("check", cwd=elsewhere, env={"KBGEN_KB": str(demo)})
    assert checked.code == 0 and "43 articles checked" in checked.stderr
    logged = run_kbgen("log", "can I pay in bitcoin", "--answer", "Not yet.", cwd=elsewhere, env={"KBGEN_KB": str(demo)})
    assert logged.code == 0, logged.stderr
    assert "can I pay in bitcoin" in "".join(p.read_text() for p in (demo / "gaps").glob("*.jsonl"))
    # the option wins over the environment
    wrong = run_kbgen("--kb", str(demo), "check", cwd=elsewhere, env={"KBGEN_KB": str(elsewhere)})
    assert wrong.code == 0


def test_a_folder_without_mkdocs_yml_is_a_clear_error(tmp_path: Path) -> None:
    result = run_kbgen("--kb", str(tmp_path), "check", cwd=tmp_path)
    assert_clean_failure(result)
    assert f"{tmp_path} has no mkdocs.yml" in result.stderr
