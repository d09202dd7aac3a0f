"""`kbgen api` as a team runs it: the real service in a subprocess (uvicorn, one worker) on a
temporary knowledge base, called over HTTP; its answers compared with the CLI's own."""

from __future__ import annotations

import itertools
import json
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, run_kbgen

from .running import Service, running

pytestmark = pytest.mark.slow

SITE = "https://help.example.test"
RATE = 5  # signals a minute from one address, in this module's knowledge base
CLIENTS = itertools.count(1)


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    root = tmp_path_factory.mktemp("api") / "kb"
    shutil.copytree(ROOT / "tests" / "reply_cases" / "kb", root, ignore=shutil.ignore_patterns(".kbgen-cache"))
    config = root / "mkdocs.yml"
    config.write_text(config.read_text(encoding="utf-8").replace(
        "  - kbgen:\n", f"  - kbgen:\n      api_signals_per_minute: {RATE}\n      public_email_domains: [example.test]\n", 1),
        encoding="utf-8")
    with running(root) as service:
        yield service


def test_health_and_the_address_printed(service: Service) -> None:
    status, _, body = service.call("GET", "/healthz", token=None)
    assert (status, body) == (200, {"status": "ok", "engine": "semantic"})
    assert f"at {service.url}" in (service.root.parent / "service.log").read_text()


@pytest.mark.parametrize(("question", "options", "args"), [
    ("how do I get a refund", {"limit": 2}, ["--limit", "2"]),
    ("do you sell branded hoodies", {}, []),
    ("how do I get a refund", {"reply": True, "channel": "email", "customer_name": "Sam", "agent_name": "Maya"},
     ["--reply", "--channel", "email", "--customer-name", "Sam", "--agent-name", "Maya"]),
])
def test_ask_is_the_json_of_kbgen_ask(service: Service, question: str, options: dict[str, Any], args: list[str]) -> None:
    status, _, body = service.call("POST", "/v1/ask", {"question": question, **options})
    cli = run_kbgen("ask", question, "--json", *args, cwd=service.root)
    assert status == 200 and cli.code == 0, (body, cli.stderr)
    assert body == json.loads(cli.stdout)


def test_a_reply_is_signed_by_the_token_agent(service: Service) -> None:
    _, _, body = service.call("POST", "/v1/ask", {"question": "how do I get a refund", "reply": True})
    assert body["reply"]["text"].rstrip().endswith("maya")


def test_ask_batch_answers_in_order_as_ask_stream(service: Service) -> None:
    questions = [{"question": "how do I get a refund", "id": "q-1"}, {"question": "do you sell hoodies", "id": 2},
                 {"question": "update my card"}]
    status, _, body = service.call("POST", "/v1/ask/batch", {"questions": questions, "limit": 2})
    stream = run_kbgen("ask", "-", "--limit", "2", cwd=service.root, stdin="\n".join(json.dumps(q) for q in questions) + "\n")
    assert status == 200
    expected = [{"index": n, **{k: v for k, v in json.loads(line).items() if k != "line"}}
                for n, line in enumerate(stream.stdout.splitlines())]
    assert body["results"] == expected and [r["id"] for r in expected] == ["q-1", 2, None]


def test_a_note_is_the_json_of_kbgen_log_stored_once_and_reported(service: Service) -> None:
    note = {"question": "can I pay with crypto? mail ann@gmail.com", "answer": "Not yet", "channel": "chat",
            "ticket": "CS-7", "tags": ["payments"], "category": "billing", "id": "API-1"}
    status, _, first = service.call("POST", "/v1/notes", note)
    assert status == 201 and first["stored"] is True
    assert first["id"] == "API-1" and first["agent"] == "maya" and first["question"] == "can I pay with crypto? mail [email]"
    assert first["redacted"] == ["email"] and first["state"] == "open"
    status, _, again = service.call("POST", "/v1/notes", {**note, "answer": "changed"})
    assert status == 200 and again == {**first, "stored": False}
    # the CLI sees the very note the service stored, and says it in the same JSON
    cli = run_kbgen("log", note["question"], "--answer", "x", "--id", "API-1", "--json", cwd=service.root)
    assert json.loads(cli.stdout) == again
    report = json.loads(run_kbgen("report", "--json", cwd=service.root).stdout)
    assert any("can I pay with crypto? mail [email]" in gap["phrasings"] for gap in report["gaps"])
    lines = [json.loads(line) for shard in (service.root / "gaps").glob("*.jsonl") for line in shard.read_text().splitlines()]
    assert [line["id"] for line in lines].count("API-1") == 1 and "ann@gmail.com" not in json.dumps(lines)


def test_a_note_names_the_field_at_fault_and_stores_nothing(service: Service) -> None:
    for body, field in [({"question": "a", "channel": "pigeon"}, "channel"), ({"question": "a", "category": "nope"}, "category"),
                        ({"question": "<img src=x onerror=alert(1)>"}, "question"), ({"question": "a", "agent": "someone-else"}, "agent"),
                        ({"question": "a", "colour": "red"}, "colour"), ({"question": 7}, "question"), ({}, "question")]:
        status, _, problem = service.call("POST", "/v1/notes", body)
        assert status == 422 and problem["field"] == field, (body, problem)
    assert not any("someone-else" in shard.read_text() for shard in (service.root / "gaps").glob("*.jsonl"))


def test_notes_batch_stores_the_good_ones_as_log_stream(service: Service) -> None:
    notes = [{"question": "is there a student discount", "id": "API-B1"}, {"question": "b", "channel": "pigeon"},
             {"question": "how do I get a refund"}]
    status, _, body = service.call("POST", "/v1/notes/batch", {"notes": notes})
    assert status == 200
    first, bad, answered = body["results"]
    assert first == {"index": 0, "id": "API-B1", "stored": True, "answered": False, "article": None, "redacted": []}
    assert bad["index"] == 1 and bad["field"] == "channel" and "pigeon" in bad["error"]
    assert answered["answered"] is True and answered["article"]["slug"] == "refunds"
    _, _, again = service.call("POST", "/v1/notes/batch", {"notes": notes[:1]})
    assert again["results"][0]["stored"] is False


def test_batches_and_bodies_are_bounded(service: Service) -> None:
    status, _, problem = service.call("POST", "/v1/ask/batch", {"questions": [{"question": "q"}] * 501})
    assert status == 413 and problem["field"] == "questions"
    status, _, problem = service.call("POST", "/v1/notes", raw=b'{"question": "' + b"a" * 300_000 + b'"}')
    assert status == 413 and "256 KB" in problem["error"]
    status, _, problem = service.call("POST", "/v1/notes", {"question": "\u4e2d" * 2_000, "answer": "\u4e2d" * 20_000})
    assert status == 201, problem  # the longest note in the widest characters fits


@pytest.mark.parametrize("token", [None, "nonsense", "kbg_000000000000_" + "A" * 43])
def test_agents_endpoints_need_a_valid_token(service: Service, token: str | None) -> None:
    for path, body in [("/v1/ask", {"question": "refund"}), ("/v1/notes", {"question": "x", "id": "NO-TOKEN"}),
                       ("/v1/ask/batch", {"questions": [{"question": "x"}]}), ("/v1/notes/batch", {"notes": [{"question": "x"}]})]:
        status, headers, problem = service.call("POST", path, body, token=token)
        assert status == 401 and headers["www-authenticate"] == "Bearer" and "token" in problem["error"]


def test_a_revoked_token_is_refused_at_once(service: Service) -> None:
    made = run_kbgen("api", "token", "create", "--agent", "bot-7", "--json", cwd=service.root)
    token = json.loads(made.stdout)
    assert service.call("POST", "/v1/ask", {"question": "refund"}, token=token["token"])[0] == 200
    assert run_kbgen("api", "token", "revoke", token["id"], cwd=service.root).code == 0
    assert service.call("POST", "/v1/ask", {"question": "refund"}, token=token["token"])[0] == 401
    listed = json.loads(run_kbgen("api", "token", "list", "--json", cwd=service.root).stdout)
    assert {t["agent"]: bool(t["revoked"]) for t in listed} == {"maya": False, "bot-7": True}
    stored = (service.root / ".kbgen" / "tokens.json").read_text()
    assert token["token"] not in stored and token["token"].split("_", 2)[2] not in stored


def test_signals_are_redacted_and_appended(service: Service) -> None:
    assert service.signal({"type": "search", "query": "write to sam@gmail.com about SSO", "results": 0}, "10.0.0.1")[0] == 201
    assert service.signal({"type": "feedback", "slug": "refunds", "helpful": False, "reason": "call +44 20 7946 0958"},
                          "10.0.0.1")[0] == 201
    assert service.signal({"type": "feedback", "slug": "refunds", "helpful": True}, "10.0.0.1",
                          headers={"Content-Type": "text/plain"})[0] == 201  # navigator.sendBeacon
    from kbgen.signals import read_signals

    assert service.signal({"type": "search", "query": "refund time", "results": 2, "contact": True}, "10.0.0.1")[0] == 201
    search, unhelpful, helpful, contact = read_signals(service.root / "gaps")[-4:]
    assert (contact["query"], contact["results"], contact["contact"]) == ("refund time", 2, True)
    assert "contact" not in search
    assert search["query"] == "write to [email] about SSO" and search["results"] == 0 and search["redacted"] == ["email"]
    assert unhelpful["reason"] == "call [phone]" and unhelpful["helpful"] is False
    assert helpful["slug"] == "refunds" and helpful["helpful"] is True and "reason" not in helpful


@pytest.mark.parametrize(("body", "status", "field"), [
    ({"type": "search", "query": "x", "results": 0, "page": "/"}, 422, "page"),
    ({"type": "search", "query": "x", "results": "3"}, 422, "results"),
    ({"type": "search", "query": "x", "results": 3, "contact": "true"}, 422, "contact"),
    ({"type": "feedback", "slug": "refunds", "helpful": False, "contact": True}, 422, "contact"),
    ({"type": "search", "query": "x" * 201, "results": 0}, 422, "query"),
    ({"type": "search", "query": "<script>alert(1)</script>", "results": 0}, 422, "query"),
    ({"type": "feedback", "slug": "refund-exceptions", "helpful": True}, 422, "slug"),  # internal
    ({"type": "feedback", "slug": "crypto", "helpful": True}, 422, "slug"),  # a draft
    ({"type": "feedback", "slug": "refunds", "helpful": "yes"}, 422, "helpful"),
    ({"type": "feedback", "slug": "refunds", "helpful": True, "reason": "r" * 501}, 422, "reason"),
    ({"type": "vote"}, 422, "type"),
])
def test_signals_refuse_what_they_do_not_know(service: Service, body: dict[str, Any], status: int, field: str) -> None:
    before = read_all(service.root)
    got, headers, problem = service.signal(body, f"10.0.1.{next(CLIENTS)}")  # each case its own client: no rate limit
    assert (got, problem["field"]) == (status, field), problem
    assert read_all(service.root) == before


def read_all(root: Path) -> str:
    return "".join(p.read_text() for p in sorted((root / "gaps" / "signals").glob("*.jsonl")))


def test_signals_body_size_and_bad_json(service: Service) -> None:
    huge = json.dumps({"type": "search", "query": "q", "results": 0, "pad": "x" * 9000}).encode()
    status, _, problem = service.signal(None, "10.0.2.1", raw=huge)
    assert status == 413 and "8 KB" in problem["error"]
    status, _, problem = service.signal(None, "10.0.2.2", raw=b'{"type": "search",')
    assert status == 400 and "JSON" in problem["error"]


def test_signals_are_rate_limited_per_client(service: Service) -> None:
    body = {"type": "search", "query": "rate limit", "results": 1}
    codes = [service.signal(body, "10.0.3.1")[0] for _ in range(RATE + 1)]
    assert codes == [201] * RATE + [429]
    status, headers, problem = service.signal(body, "10.0.3.1")
    assert status == 429 and int(headers["retry-after"]) >= 1 and "too many" in problem["error"]
    assert service.signal(body, "10.0.3.2")[0] == 201  # another client is not held back


def test_cors_admits_the_site_origin_only(service: Service) -> None:
    body = {"type": "search", "query": "cors", "results": 2}
    status, headers, _ = service.signal(body, "10.0.4.1", headers={"Origin": SITE})
    assert status == 201 and headers["access-control-allow-origin"] == SITE
    status, headers, _ = service.signal(body, "10.0.4.1", headers={"Origin": "https://evil.example"})
    assert status == 403 and "access-control-allow-origin" not in headers
    status, headers, _ = service.call("OPTIONS", "/v1/signals", token=None, headers={
        "Origin": SITE, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"})
    assert status == 204 and headers["access-control-allow-origin"] == SITE and "POST" in headers["access-control-allow-methods"]
    # the agents' endpoints are not for browsers at all
    status, headers, _ = service.call("POST", "/v1/ask", {"question": "refund"}, headers={"Origin": SITE})
    assert "access-control-allow-origin" not in headers


def test_openapi_lists_the_endpoints_from_the_models(service: Service) -> None:
    status, _, spec = service.call("GET", "/openapi.json", token=None)
    assert status == 200
    assert set(spec["paths"]) == {"/healthz", "/v1/ask", "/v1/ask/batch", "/v1/notes", "/v1/notes/batch", "/v1/signals"}
    schemas = spec["components"]["schemas"]
    assert schemas["NoteRequest"]["additionalProperties"] is False and "SearchSignal" in schemas
    assert spec["paths"]["/v1/ask"]["post"]["security"] and "security" not in spec["paths"]["/v1/signals"]["post"]


def test_openapi_lists_each_note_field_with_its_description_from_the_one_table(service: Service) -> None:
    from kbgen.note_fields import FIELDS

    schemas = service.call("GET", "/openapi.json", token=None)[2]["components"]["schemas"]
    request, response = schemas["NoteRequest"]["properties"], schemas["NoteResponse"]["properties"]
    assert list(request) == ["question"] + [f.name for f in FIELDS if f.given and f.name != "question"]
    assert schemas["NoteRequest"]["required"] == ["question"]
    assert set(response) == {f.name for f in FIELDS} | {"state", "events", "stored"}
    for spec in FIELDS:
        assert response[spec.name]["description"].startswith(spec.help), spec.name
        if spec.given:
            assert request[spec.name]["description"].startswith(spec.help), spec.name
    assert "idempotency" in request["id"]["description"] and "token" in request["agent"]["description"]
    search = schemas["SearchSignal"]["properties"]
    assert set(search) == {"type", "query", "results", "contact"} and "contact support" in search["contact"]["description"]


def test_errors_are_json_never_a_traceback(service: Service) -> None:
    status, _, problem = service.call("GET", "/nowhere", token=None)
    assert status == 404 and problem == {"error": "Not Found"}
    status, _, problem = service.call("POST", "/v1/ask", raw=b"question=refund", headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 415 and "JSON" in problem["error"]
    for path, body in [("/v1/ask", '{"question": "refund \\ud83d"}'), ("/v1/notes", '{"question": "a \\ud83d"}'),
                       ("/v1/signals", '{"type": "search", "query": "\\ud83d", "results": 0}'),
                       ("/v1/signals", '{"type": "feedback", "slug": "\\ud83d", "helpful": true}')]:
        status, _, problem = service.call("POST", path, raw=body.encode(), headers={"X-Forwarded-For": "10.0.5.1"})
        assert status in (200, 422) and problem, (path, status, problem)  # a broken escape: answered or refused, never a 500


def test_the_service_and_command_lines_write_under_one_lock(service: Service) -> None:
    """Three `kbgen log -` processes and the service's batches at once: every note stored once, whole lines."""
    import threading

    def lines() -> list[str]:
        return [line for shard in (service.root / "gaps").glob("*.jsonl") for line in shard.read_text().splitlines()]

    before = len(lines())
    stdin = [("\n".join(json.dumps({"question": f"shared clone question {p}-{n}", "id": f"CLI-{p}-{n}"})
                        for n in range(20)) + "\n") for p in range(3)]
    processes = [subprocess.Popen([sys.executable, "-m", "kbgen", "log", "-"], cwd=service.root, stdin=subprocess.PIPE,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) for _ in stdin]
    posted: list[int] = []
    threads = [threading.Thread(target=lambda b=b: posted.append(service.call("POST", "/v1/notes/batch", {"notes": [
        {"question": f"shared clone question api {b}-{n}", "id": f"API-{b}-{n}"} for n in range(20)]})[0])) for b in range(3)]
    for thread in threads:
        thread.start()
    for process, text in zip(processes, stdin):
        process.communicate(text, timeout=300)
        assert process.returncode == 0
    for thread in threads:
        thread.join()
    assert posted == [200, 200, 200]
    stored = lines()
    assert len(stored) == before + 120
    ids = [json.loads(line)["id"] for line in stored]  # every line whole
    assert len(set(ids)) == len(ids)


def test_a_newly_published_article_is_answered_and_voted_on(service: Service) -> None:
    from kbgen.api.app import FRESH_SECONDS

    question = {"question": "can I pay by bank transfer against an invoice"}
    for _ in range(2):  # asked before: a kept answer, which the new article must replace
        assert "invoices" not in [hit["slug"] for hit in service.call("POST", "/v1/ask", question)[2]["results"]]
    (service.root / "kb" / "billing" / "invoices.md").write_text(
        "---\ntitle: Can I pay by invoice?\nsummary: Yes, Team plans can pay by bank transfer against an invoice.\n"
        "questions:\n  - can I pay by bank transfer\n  - do you send invoices\n---\nOpen Settings > Billing.\n", encoding="utf-8")
    time.sleep(FRESH_SECONDS + 0.5)
    _, _, body = service.call("POST", "/v1/ask", question)
    assert body["answered"] is True and body["results"][0]["slug"] == "invoices"
    assert service.signal({"type": "feedback", "slug": "invoices", "helpful": True}, "10.0.6.1")[0] == 201
