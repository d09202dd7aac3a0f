"""`kbgen ask` and `kbgen log` with KBGEN_SERVER and KBGEN_TOKEN: the command line as the team
service's client, run from a folder with no knowledge base, its output compared with the local
commands' own on the service's knowledge base."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT, Result, assert_clean_failure, run_kbgen

from .running import Service, running

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    root = tmp_path_factory.mktemp("client") / "kb"
    shutil.copytree(ROOT / "tests" / "reply_cases" / "kb", root, ignore=shutil.ignore_patterns(".kbgen-cache"))
    with running(root) as service:
        yield service


@pytest.fixture
def elsewhere(tmp_path: Path) -> Path:
    """A folder with no knowledge base above it: what an agent who only ran `pip install` has."""
    return tmp_path


def remote(service: Service, *args: str, cwd: Path, stdin: str | None = None, **env: str) -> Result:
    return run_kbgen(*args, cwd=cwd, stdin=stdin, env={"KBGEN_SERVER": service.url, "KBGEN_TOKEN": service.token,
                                                        "KBGEN_AGENT": "maya", **env})


@pytest.mark.parametrize("args", [
    ["how do I get a refund"],
    ["do you sell branded hoodies", "--limit", "2"],
    ["how do I get a refund", "--json"],
    ["how do I get a refund", "--reply", "--channel", "email", "--customer-name", "Sam"],
    ["how do I get a refund", "--reply", "--json", "--agent-name", "Maya"],
    ["how do I change the card I pay with", "--reply"],
    ["how do I"],  # names no topic
])
def test_ask_prints_what_the_local_command_prints(service: Service, elsewhere: Path, args: list[str]) -> None:
    local = run_kbgen("ask", *args, cwd=service.root, env={"KBGEN_AGENT": "maya"})
    client = remote(service, "ask", *args, cwd=elsewhere)
    assert (client.code, client.stdout, client.stderr) == (local.code, local.stdout, local.stderr)


def test_ask_stream_goes_through_the_batch_endpoint_in_order(service: Service, elsewhere: Path) -> None:
    lines = ["how do I get a refund", json.dumps({"question": "do you sell hoodies", "id": "q-2"}), "",
             json.dumps({"question": "update my card", "id": 3, "customer_name": "Ann"}), '{"x": 1}']
    stdin = "\n".join(lines * 3) + "\n"
    for extra in ([], ["--reply", "--customer-name", "Sam", "--limit", "1"]):
        local = run_kbgen("ask", "-", *extra, cwd=service.root, stdin=stdin, env={"KBGEN_AGENT": "maya"})
        client = remote(service, "ask", "-", *extra, cwd=elsewhere, stdin=stdin)
        assert (client.code, client.stdout, client.stderr) == (local.code, local.stdout, local.stderr) and client.code == 1
        assert [json.loads(line)["line"] for line in client.stdout.splitlines()] == [1, 2, 4, 6, 7, 9, 11, 12, 14]


def test_log_through_the_service(service: Service, elsewhere: Path) -> None:
    logged = remote(service, "log", "can I pay with crypto? mail ann@gmail.com", "--answer", "Not yet",
                    "--ticket", "CS-9", "--tag", "payments", "--id", "CLI-1", cwd=elsewhere)
    assert logged.code == 0 and logged.stdout == "Logged note CLI-1 (redacted: email)\n", logged.stderr
    again = remote(service, "log", "can I pay with crypto?", "--id", "CLI-1", cwd=elsewhere)
    assert again.stdout == "Note CLI-1 was already logged; nothing new was stored.\n"
    local = run_kbgen("log", "x", "--id", "CLI-1", "--json", cwd=service.root)
    client = remote(service, "log", "x", "--id", "CLI-1", "--json", cwd=elsewhere)
    assert client.code == 0 and json.loads(client.stdout) == json.loads(local.stdout)
    assert json.loads(client.stdout)["agent"] == "maya" and json.loads(client.stdout)["ticket"] == "CS-9"
    answered = remote(service, "log", "how do I get a refund", "--answer", "see the article", cwd=elsewhere)
    assert "An article already answers this; you can send it now:\n  How do I get a refund?\n" \
           "  https://help.example.test/billing/refunds/\n" in answered.stdout


def test_log_stream_stores_the_good_lines_and_names_the_bad(service: Service, elsewhere: Path) -> None:
    stdin = "\n".join([json.dumps({"question": "is there a student discount", "id": "CLI-S1"}),
                       json.dumps({"question": "b", "channel": "pigeon"}), "not json",
                       json.dumps({"question": "c", "colour": "red"}), "",
                       json.dumps({"question": "how do I get a refund", "id": "CLI-S2"})]) + "\n"
    client = remote(service, "log", "-", "--channel", "chat", cwd=elsewhere, stdin=stdin)
    assert client.code == 1
    rows = [json.loads(line) for line in client.stdout.splitlines()]
    assert [(r["line"], r["id"], r["stored"]) for r in rows] == [(1, "CLI-S1", True), (6, "CLI-S2", True)]
    assert rows[1]["article"]["slug"] == "refunds"
    errors = client.stderr.splitlines()
    assert errors[0].startswith("line 3: error: not valid JSON")
    assert errors[1:] == ["line 2 (channel): error: channel 'pigeon' is not one of: chat, email, phone, in-person, other",
                          "line 4 (colour): error: unknown field 'colour'"]
    stored = [json.loads(line) for shard in (service.root / "gaps").glob("*.jsonl") for line in shard.read_text().splitlines()]
    assert {n["id"]: n["channel"] for n in stored if n.get("id", "").startswith("CLI-S")} == {"CLI-S1": "chat", "CLI-S2": "chat"}


def test_refusals_are_one_line_never_a_traceback_nor_the_token(service: Service, elsewhere: Path) -> None:
    cases = [
        ({"KBGEN_TOKEN": "kbg_000000000000_" + "A" * 43}, "refused KBGEN_TOKEN"),
        ({"KBGEN_SERVER": "http://127.0.0.1:1"}, "cannot reach the kbgen service at http://127.0.0.1:1"),
        ({"KBGEN_SERVER": "http://help.example.com"}, "plain http to another machine"),
        ({"KBGEN_SERVER": "ftp://x"}, "KBGEN_SERVER must be an http(s) address"),
        ({"KBGEN_TOKEN": ""}, "KBGEN_TOKEN is not"),
        ({"KBGEN_TOKEN": "kbg_bad token\r\nX-Evil: 1"}, "KBGEN_TOKEN is not a token"),
        ({"KBGEN_SERVER": service.url + "/nowhere"}, "has no kbgen service (404"),
    ]
    for env, said in cases:
        for args in (["ask", "refund"], ["log", "refund", "--answer", "x"], ["ask", "-"], ["log", "-"]):
            result = remote(service, *args, cwd=elsewhere, stdin='{"question": "refund"}\n', **env)
            assert_clean_failure(result)
            assert said in result.stderr and len(result.stderr.strip().splitlines()) == 1, (env, args, result.stderr)
            assert service.token not in result.stderr + result.stdout
    refused = remote(service, "log", "a", "--category", "nope", cwd=elsewhere)
    assert_clean_failure(refused)
    assert refused.stderr.startswith("error: --category: category 'nope' is not a folder of kb/")
    usage = remote(service, "ask", "refund", "--reply", "--channel", "pigeon", cwd=elsewhere)
    assert usage.code == 2 and "no reply template 'pigeon'" in usage.stderr


def test_insecure_allows_plain_http_only_when_asked(service: Service, elsewhere: Path) -> None:
    from kbgen.client import ServiceError, checked_base, loopback

    assert checked_base("http://10.1.2.3:8000/", insecure=True) == "http://10.1.2.3:8000"
    assert checked_base("https://kb.example.com/team/") == "https://kb.example.com/team"
    assert loopback("localhost") and loopback("127.0.0.2") and loopback("::1") and not loopback("10.0.0.1")
    with pytest.raises(ServiceError):
        checked_base("https://user:pw@kb.example.com")
    result = remote(service, "ask", "refund", cwd=elsewhere, KBGEN_SERVER="http://192.0.2.1:9", KBGEN_INSECURE="1")
    assert_clean_failure(result)
    assert "cannot reach" in result.stderr or "did not answer" in result.stderr


def test_the_client_imports_no_engine_and_needs_no_knowledge_base(service: Service, elsewhere: Path) -> None:
    import os
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "kbgen", "ask", "how do I get a refund", "--json"],
                          cwd=elsewhere, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "KBGEN_SERVER": service.url, "KBGEN_TOKEN": service.token})
    assert done.returncode == 0 and json.loads(done.stdout)["answered"] is True
    imported = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    heavy = {"numpy", "onnxruntime", "whoosh", "yaml", "frontmatter", "kbgen.engine", "kbgen.project", "kbgen.notes",
             "fastapi", "pydantic", "rich"}
    assert not heavy & imported, heavy & imported


def test_a_redirect_or_a_stranger_answering_stops_the_client_and_keeps_the_token(elsewhere: Path) -> None:
    """A redirect is not followed (the token would go on to its target); an answer that is not the
    service's is one line naming KBGEN_SERVER."""
    import http.server
    import threading

    seen: list[str] = []

    class Stranger(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            seen.append(self.headers.get("Authorization", ""))
            if self.path.startswith("/moved"):
                self.send_response(307)
                self.send_header("Location", f"http://127.0.0.1:{self.server.server_address[1]}/elsewhere/v1/ask")
                self.end_headers()
                return
            body = b"<html>Bad gateway</html>"
            self.send_response(502)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Stranger)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    token = "kbg_0123456789ab_" + "S" * 43
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        env = {"KBGEN_SERVER": base + "/moved", "KBGEN_TOKEN": token}
        moved = run_kbgen("ask", "refund", cwd=elsewhere, env=env)
        assert_clean_failure(moved)
        assert "redirects to" in moved.stderr and "/elsewhere/v1/ask" in moved.stderr
        assert seen == [f"Bearer {token}"]  # sent once, to KBGEN_SERVER, never on to the redirect's target
        broken = run_kbgen("log", "x", "--answer", "y", cwd=elsewhere, env={**env, "KBGEN_SERVER": base})
        assert_clean_failure(broken)
        assert broken.stderr == f"error: the kbgen service at {base} failed (502): no explanation\n"
        assert token not in moved.stderr + broken.stderr
    finally:
        server.shutdown()


def test_a_long_stream_is_sent_in_chunks_the_service_accepts(service: Service, elsewhere: Path) -> None:
    """1,100 questions: over the service's 500 a batch, so three requests; every line answered, in
    order, as one local batch answers them."""
    stdin = "".join(json.dumps({"question": f"refund number {n} please", "id": n}) + "\n" for n in range(1_100))
    client = remote(service, "ask", "-", "--limit", "1", cwd=elsewhere, stdin=stdin)
    assert client.code == 0, client.stderr
    rows = [json.loads(line) for line in client.stdout.splitlines()]
    assert [(row["id"], row["line"]) for row in rows] == [(n, n + 1) for n in range(1_100)]
    local = run_kbgen("ask", "-", "--limit", "1", cwd=service.root, stdin=stdin, env={"KBGEN_AGENT": "maya"})
    assert local.code == 0, local.stderr
    expected = [json.loads(line) for line in local.stdout.splitlines()]
    assert [row["results"] for row in rows] == [row["results"] for row in expected]
    assert sum(row["results"][0]["slug"] == "refunds" for row in rows) >= 1_000  # a refund question, a number aside


def test_batches_are_halved_on_413_and_a_refused_item_set_aside() -> None:
    from kbgen.client import ServiceError, batched_post

    sent: list[int] = []

    class Fake:
        def post(self, path: str, body: dict) -> tuple[int, dict]:
            items = body["notes"]
            sent.append(len(items))
            if len(items) > 3:
                raise ServiceError(f"{len(items)} notes in one request; the limit is 3", 413, "notes")
            for at, item in enumerate(items):
                if item["question"] == "bad":
                    raise ServiceError("unknown field 'notes[%d].colour'" % at, 422, f"notes[{at}].colour")
            return 200, {"results": [{"index": n, "id": item["question"]} for n, item in enumerate(items)]}

    items = [{"question": q} for q in ["a", "b", "bad", "c", "d", "e", "f"]]
    rows, refused = batched_post(Fake(), "/v1/notes/batch", "notes", items, {}, size=5)  # type: ignore[arg-type]
    assert [row and row["id"] for row in rows] == ["a", "b", None, "c", "d", "e", "f"]
    assert refused[2].field == "colour" and refused[2].message == "unknown field 'colour'"
    assert sent[0] == 5 and max(sent[1:]) <= 3
