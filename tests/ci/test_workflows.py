"""The GitHub workflows, the project's own and those `kbgen init` writes: valid, calling only kbgen
commands and options that exist, with their steps in an order that works."""

from __future__ import annotations

import re

import pytest

from tests.ci.workflows import (
    all_workflows,
    cli_problems,
    commands,
    kbgen_calls,
    kind,
    kinds,
    load,
    own,
    redirect_target,
    scaffolded,
    step_of,
)
from tests.conftest import ROOT

WORKFLOWS = all_workflows()
ACTION = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+@v\d+$")  # owner/name@vN: a released major version


def test_there_are_workflows_of_both_kinds() -> None:
    assert {"own/pull-request.yml", "own/publish.yml", "own/tests.yml"} <= set(WORKFLOWS)
    assert {"init/pull-request.yml", "init/publish.yml", "init/drafts.yml"} <= set(WORKFLOWS)


@pytest.mark.parametrize("label", sorted(WORKFLOWS))
def test_every_workflow_is_a_valid_workflow(label: str) -> None:
    data = load(WORKFLOWS[label])
    assert isinstance(data.get("name"), str) and data["on"], label
    assert isinstance(data.get("permissions"), dict), "say what the token may do (least privilege)"
    jobs = data["jobs"]
    assert isinstance(jobs, dict) and jobs
    for name, job in jobs.items():
        assert job.get("runs-on") == "ubuntu-latest", name
        for needed in [job["needs"]] if isinstance(job.get("needs"), str) else job.get("needs", []):
            assert needed in jobs, f"{name} needs {needed}, which is not a job"
        steps = job["steps"]
        assert isinstance(steps, list) and steps
        for step in steps:
            assert ("uses" in step) != ("run" in step), step
            if "uses" in step:
                assert ACTION.match(step["uses"]), step["uses"]
            else:
                # untrusted event data reaches a script through env:, never pasted into its text
                assert "${{" not in step["run"], step["run"]


@pytest.mark.parametrize("label", sorted(WORKFLOWS))
def test_every_kbgen_command_and_option_a_workflow_calls_exists(label: str) -> None:
    data = load(WORKFLOWS[label])
    calls = [args for job in data["jobs"].values() for step in job["steps"] if "run" in step for args in kbgen_calls(step["run"])]
    if label != "own/tests.yml":
        assert calls, "the workflow runs kbgen"
    for args in calls:
        assert cli_problems(args) == []


def test_the_check_catches_a_renamed_option_a_wrong_value_and_an_unknown_command() -> None:
    assert cli_problems(["check", "--format", "github", "--changed-since", "origin/$BASE_REF"]) == []
    assert "No such option: --changed-from" in cli_problems(["check", "--changed-from", "origin/main"])[0]
    assert "--min-size" in cli_problems(["report", "--markdown", "--min-size", "two"])[0]
    assert "no command 'publish'" in cli_problems(["publish"])[0]
    assert cli_problems(["draft", "--markdown", "--min-size", "3"]) == []
    # and the workflows' own text is read the same way: a rename there is caught
    script = step_of(load(scaffolded("pull-request.yml"))["jobs"]["check-and-build"], "kbgen check")["run"]
    (args,) = kbgen_calls(script.replace("--changed-since", "--since"))
    assert cli_problems(args)


def test_commands_are_split_as_a_shell_would() -> None:
    assert commands('kbgen report --markdown --min-size 2 >> "$GITHUB_STEP_SUMMARY"') == [
        ["kbgen", "report", "--markdown", "--min-size", "2"]]
    assert commands("kbgen check && kbgen build -d site # then\nkbgen draft --markdown > body.md | cat") == [
        ["kbgen", "check"], ["kbgen", "build", "-d", "site"], ["kbgen", "draft", "--markdown"], ["cat"]]
    assert commands('echo "n=$(gh pr list --jq \'.[].number\')" >> "$GITHUB_OUTPUT"') == [
        ["echo", "n=$(gh pr list --jq '.[].number')"]]


@pytest.mark.parametrize("name", ["pull-request.yml", "publish.yml"])
def test_the_projects_own_workflows_are_the_ones_init_writes(name: str) -> None:
    assert own(name).read_text(encoding="utf-8") == scaffolded(name)


@pytest.mark.parametrize("label", sorted(k for k in WORKFLOWS if k != "own/tests.yml"))
def test_each_job_checks_out_then_installs_kbgen_then_runs_it(label: str) -> None:
    for name, job in load(WORKFLOWS[label])["jobs"].items():
        order = kinds(job)
        if not any(k.startswith("kbgen ") for k in order):
            assert order == ["deploy-pages"], name  # the deploy job only deploys what the build made
            continue
        first_kbgen = next(i for i, k in enumerate(order) if k.startswith("kbgen "))
        assert order.index("checkout") == 0
        assert order.index("checkout") < order.index("setup-python") < order.index("install") < first_kbgen, order
        install = step_of(job, "install")
        assert install["run"] == "pip install -r requirements-kbgen.txt"
        assert step_of(job, "setup-python")["with"]["cache-dependency-path"] == "requirements-kbgen.txt"


def test_requirements_files_exist_where_the_workflows_install_from() -> None:
    from kbgen.scaffold import scaffold_files

    assert "requirements-kbgen.txt" in scaffold_files()
    lines = [line for line in (ROOT / "requirements-kbgen.txt").read_text().splitlines() if line and not line.startswith("#")]
    assert lines == ["./models/kbgen-minilm", "."]  # this repository: the kbgen of the same commit


def test_pull_requests_check_the_changes_build_report_and_keep_the_site() -> None:
    data = load(scaffolded("pull-request.yml"))
    assert "pull_request" in data["on"]
    job = data["jobs"]["check-and-build"]
    order = kinds(job)
    assert order.index("kbgen check") < order.index("kbgen build") < order.index("kbgen report") < order.index("upload-artifact")
    assert step_of(job, "checkout")["with"]["fetch-depth"] == 0  # the base branch is there to compare with

    check = step_of(job, "kbgen check")
    (args,) = kbgen_calls(check["run"])
    assert args[args.index("--format") + 1] == "github"
    assert args[args.index("--changed-since") + 1] == "origin/$BASE_REF"
    assert check["env"]["BASE_REF"] == "${{ github.base_ref }}"

    (build,) = kbgen_calls(step_of(job, "kbgen build")["run"])
    site = build[build.index("-d") + 1]
    assert step_of(job, "upload-artifact")["with"]["path"].rstrip("/") == site

    report = step_of(job, "kbgen report")["run"]
    assert "--markdown" in kbgen_calls(report)[0] and redirect_target(report) == "$GITHUB_STEP_SUMMARY"


def test_main_builds_then_deploys_to_pages_with_the_official_actions() -> None:
    data = load(scaffolded("publish.yml"))
    assert data["on"]["push"]["branches"] == ["main"]
    assert data["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
    build, deploy = data["jobs"]["build"], data["jobs"]["deploy"]
    order = kinds(build)
    assert order.index("configure-pages") < order.index("kbgen build") < order.index("upload-pages-artifact")
    (args,) = kbgen_calls(step_of(build, "kbgen build")["run"])
    assert step_of(build, "upload-pages-artifact")["with"]["path"].rstrip("/") == args[args.index("-d") + 1]
    assert deploy["needs"] == "build"
    assert deploy["environment"]["name"] == "github-pages"
    (step,) = deploy["steps"]
    assert step["uses"].startswith("actions/deploy-pages@") and step["id"] in deploy["environment"]["url"]


def test_the_weekly_drafts_open_one_pull_request_with_the_evidence() -> None:
    data = load(scaffolded("drafts.yml"))
    assert data["on"]["schedule"][0]["cron"] and "workflow_dispatch" in data["on"]
    assert data["permissions"] == {"contents": "write", "pull-requests": "write"}
    assert data["concurrency"]["cancel-in-progress"] is False
    job = data["jobs"]["draft"]
    order = kinds(job)
    assert order.index("kbgen draft") < order.index("create-pull-request")

    # while a drafts pull request is open (editors may be polishing it), nothing after the look runs
    look = job["steps"][order.index("run")]
    assert "gh pr list --head kbgen/drafts --state open" in look["run"]
    later = job["steps"][order.index("run") + 1:]
    assert later and all(step.get("if") == f"steps.{look['id']}.outputs.number == ''" for step in later)

    draft = step_of(job, "kbgen draft")["run"]
    assert "--markdown" in kbgen_calls(draft)[0]
    opened = step_of(job, "create-pull-request")["with"]
    assert opened["branch"] == "kbgen/drafts"  # one branch: one pull request, never one a week
    # the pull request's description is what `kbgen draft --markdown` wrote
    assert redirect_target(draft).replace("$RUNNER_TEMP", "${{ runner.temp }}") == opened["body-path"]
    assert opened["add-paths"].split() == ["kb/", "gaps/"]


def test_every_action_is_pinned_to_the_same_version_everywhere() -> None:
    versions: dict[str, set[str]] = {}
    for text in WORKFLOWS.values():
        for job in load(text)["jobs"].values():
            for step in job["steps"]:
                if "uses" in step:
                    name, version = step["uses"].split("@")
                    versions.setdefault(name, set()).add(version)
    assert {name: v for name, v in versions.items() if len(v) > 1} == {}
    assert {"actions/checkout", "actions/setup-python", "actions/upload-artifact", "actions/configure-pages",
            "actions/upload-pages-artifact", "actions/deploy-pages", "peter-evans/create-pull-request"} <= set(versions)


def test_kind_names_steps() -> None:
    assert kind({"uses": "actions/checkout@v4"}) == "checkout"
    assert kind({"run": "pip install -r requirements-kbgen.txt"}) == "install"
    assert kind({"run": "kbgen build -d site"}) == "kbgen build"
    assert kind({"run": "echo hi"}) == "run"


def test_the_projects_test_workflow_runs_the_ci_entry_point() -> None:
    data = load(WORKFLOWS["own/tests.yml"])
    (job,) = data["jobs"].values()
    assert kinds(job) == ["checkout", "setup-python", "run"]
    (command,) = commands(job["steps"][-1]["run"])
    script = ROOT / command[0]
    assert script.is_file() and script.stat().st_mode & 0o111, ".ci/run is there and executable"
