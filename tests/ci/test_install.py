"""kbgen installs the way a knowledge base's CI installs it, in a clean virtual environment.

This checkout becomes a git repository (as GitHub would serve it, here over file://localhost/), `kbgen init
--kbgen-source` pins it in requirements-kbgen.txt, and the workflow's own install step runs word
for word in a new venv: pip clones the repository, builds kbgen and its encoder package from it and
fetches the rest from the package index (its cache keeps a rerun short). The installed kbgen, not
this checkout, then checks and builds the knowledge base, and pins the same commit in a new one.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kbgen import __version__
from tests.ci.workflows import load, scaffolded, step_of
from tests.conftest import ROOT, run_kbgen

pytestmark = pytest.mark.slow

GIT_ENV = {"GIT_AUTHOR_NAME": "kbgen tests", "GIT_AUTHOR_EMAIL": "tests@example.test", "GIT_COMMITTER_NAME": "kbgen tests",
           "GIT_COMMITTER_EMAIL": "tests@example.test", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}


def _run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None, timeout: int = 120) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([str(a) for a in args], cwd=cwd, env=env or {**os.environ, **GIT_ENV}, capture_output=True,
                          text=True, timeout=timeout)
    assert done.returncode == 0, (args, done.stdout[-3000:], done.stderr[-3000:])
    return done


def _index_unreachable() -> str:
    """Why the package index cannot be reached ("" when it can)."""
    try:
        done = subprocess.run([sys.executable, "-m", "pip", "index", "versions", "setuptools"], capture_output=True,
                              text=True, timeout=90)
    except subprocess.TimeoutExpired:
        return "pip timed out asking the package index"
    return "" if done.returncode == 0 else (done.stderr.strip().splitlines() or ["pip index failed"])[-1]


def _as_git_repository(target: Path) -> str:
    """This checkout's files (committed and not yet committed, never ignored ones) as a new repository; its commit."""
    listed = _run("git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", cwd=ROOT).stdout
    for rel in filter(None, listed.split("\0")):
        source = ROOT / rel
        if source.is_file():
            (target / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / rel)
    _run("git", "init", "-q", "-b", "main", cwd=target)
    _run("git", "add", "-A", cwd=target)
    _run("git", "commit", "-q", "-m", "kbgen as CI would fetch it", cwd=target)
    return _run("git", "rev-parse", "HEAD", cwd=target).stdout.strip()


def test_kbgen_installs_as_the_scaffolded_ci_installs_it_and_builds_a_knowledge_base(tmp_path: Path) -> None:
    why = _index_unreachable()
    if why:
        pytest.skip(f"the package index is unreachable: {why}")
    started = time.monotonic()
    repo = tmp_path / "kbgen"
    repo.mkdir()
    commit = _as_git_repository(repo)
    source = f"git+file://localhost{repo}@{commit}"

    kb = tmp_path / "help"
    made = run_kbgen("init", str(kb), "--name", "Acme Help", "--kbgen-source", source, cwd=tmp_path)
    assert made.code == 0, made.stderr

    venv = tmp_path / "venv"
    _run(sys.executable, "-m", "venv", venv, cwd=tmp_path)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    env.update(GIT_ENV, PATH=f"{venv / 'bin'}{os.pathsep}{env['PATH']}", VIRTUAL_ENV=str(venv), NO_COLOR="1")
    install = step_of(load(scaffolded("pull-request.yml"))["jobs"]["check-and-build"], "install")["run"]
    assert install == "pip install -r requirements-kbgen.txt"
    _run("bash", "-eo", "pipefail", "-c", install, cwd=kb, env=env, timeout=900)
    installed_in = time.monotonic() - started

    kbgen = str(venv / "bin" / "kbgen")
    assert _run(kbgen, "--version", cwd=kb, env=env).stdout.strip() == f"kbgen {__version__}"
    where = _run(venv / "bin" / "python", "-c", "import kbgen, kbgen_minilm; print(kbgen.__file__, kbgen_minilm.__file__)",
                 cwd=tmp_path, env=env).stdout
    assert str(ROOT) not in where and where.count(str(venv)) == 2  # the installed packages, not this checkout

    _run(kbgen, "check", cwd=kb, env=env)
    _run(kbgen, "build", "-d", "site", cwd=kb, env=env, timeout=300)
    assert "Acme Help" in (kb / "site" / "index.html").read_text(encoding="utf-8")
    assert (kb / "site" / "getting-started" / "welcome" / "index.html").is_file()
    asked = _run(kbgen, "ask", "how do I get started", "--json", cwd=kb, env=env, timeout=300)  # the encoder package works
    assert "welcome" in asked.stdout

    # a kbgen installed from git pins the commit it came from, with no option
    again = tmp_path / "second"
    env.pop("KBGEN_SOURCE", None)
    _run(kbgen, "init", again, cwd=tmp_path, env=env)
    assert (again / "requirements-kbgen.txt").read_text() == (kb / "requirements-kbgen.txt").read_text()
    assert f"kbgen @ {source}\n" in (again / "requirements-kbgen.txt").read_text()
    assert (again / ".github" / "workflows" / "drafts.yml").is_file() and (again / ".github" / "CODEOWNERS").is_file()
    print(f"installed in {installed_in:.0f} s, all in {time.monotonic() - started:.0f} s")
