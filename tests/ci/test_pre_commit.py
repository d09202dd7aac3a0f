"""`.pre-commit-hooks.yaml`: other repositories run `kbgen check` as a pre-commit hook."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import yaml

from tests.ci.workflows import cli_problems
from tests.conftest import ROOT, assert_clean_failure, run_kbgen

# the keys pre-commit 4 reads from a hook manifest (pre_commit/clientlib.py, MANIFEST_HOOK_DICT)
MANIFEST_KEYS = {"id", "name", "entry", "language", "alias", "files", "exclude", "types", "types_or", "exclude_types",
                 "additional_dependencies", "args", "always_run", "fail_fast", "pass_filenames", "description",
                 "language_version", "log_file", "minimum_pre_commit_version", "require_serial", "stages", "verbose"}


def hooks() -> list[dict]:
    data = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, list) and data
    return data


def test_the_hook_manifest_is_what_pre_commit_reads() -> None:
    for hook in hooks():
        assert {"id", "name", "entry", "language"} <= set(hook) <= MANIFEST_KEYS, hook
        assert hook["language"] == "python"  # pre-commit installs this repository into the hook's environment
        assert hook["pass_filenames"] is False  # `kbgen check` checks the whole knowledge base, it takes no files
        files = re.compile(hook["files"])
        assert files.search("kb/billing/refunds.md") and files.search("mkdocs.yml") and files.search("kb/categories.yml")
        assert not files.search("README.md") and not files.search("src/app.py")


def test_the_hooks_entry_is_a_kbgen_command_that_exists() -> None:
    for hook in hooks():
        words = shlex.split(hook["entry"]) + list(hook.get("args", []))
        assert words[0] == "kbgen"
        assert cli_problems(words[1:]) == []


def test_the_hooks_extra_dependency_is_the_encoder_package_in_this_repository() -> None:
    # pre-commit runs `pip install . <additional_dependencies>` in its clone of this repository
    for hook in hooks():
        for dependency in hook.get("additional_dependencies", []):
            folder = ROOT / dependency
            assert (folder / "pyproject.toml").is_file(), dependency
            assert 'name = "kbgen-minilm"' in (folder / "pyproject.toml").read_text()


def test_the_hook_fails_a_commit_with_a_broken_article(tmp_path: Path) -> None:
    (hook,) = hooks()
    kb = tmp_path / "help"
    assert run_kbgen("init", str(kb), cwd=tmp_path, env={"KBGEN_SOURCE": ""}).code == 0
    args = shlex.split(hook["entry"])[1:]
    assert run_kbgen(*args, cwd=kb).code == 0
    (kb / "kb" / "getting-started" / "broken.md").write_text("---\ntitle: [unclosed\n---\n", encoding="utf-8")
    assert_clean_failure(run_kbgen(*args, cwd=kb))
