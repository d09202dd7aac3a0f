"""`kbgen api`: the team service, and the bearer tokens agents and bots call it with.

FastAPI, pydantic and uvicorn are imported only when the service starts, never by other commands.
"""


from typing import Annotated

import typer

from . import app
from .output import JsonOption, print_json, say, warn

api_app = typer.Typer(no_args_is_help=False, invoke_without_command=True)
token_app = typer.Typer(no_args_is_help=True, help="Bearer tokens for agents and bots: create, list, revoke.\n\n"
                        "Example: kbgen api token create --agent maya")
api_app.add_typer(token_app, name="token")
app.add_typer(api_app, name="api")


@api_app.callback()
def api_command(
    ctx: typer.Context,
    host: Annotated[str, typer.Option("--host", help="The address to listen on (0.0.0.0: every interface).")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="The port to listen on.")] = 8000,
) -> None:
    """The team service: `ask` and `log` over HTTP for agents' tools and bots (bearer tokens), and
    the public site's signals (failed searches, "Was this helpful?"), with the engine kept warm.

    Endpoints: POST /v1/ask, /v1/ask/batch, /v1/notes, /v1/notes/batch (token); POST
    /v1/signals (no token: CORS to the site's origin, rate and size limits); GET /healthz;
    the OpenAPI documents at /openapi.json and /docs.

    Example: kbgen api --port 8000   (then: kbgen api token create --agent maya)
    """
    if ctx.invoked_subcommand is not None:
        return
    import uvicorn

    from kbgen.api import create_app
    from kbgen.project import Project

    project = Project.find()
    say(f"kbgen api: loading the engine for {project.root}", err=True)
    service = create_app(project, warn)
    shown = f"[{host}]" if ":" in host else host
    say(f"kbgen api: serving {project.root} at http://{shown}:{port} (docs: http://{shown}:{port}/docs)")
    import sys

    sys.stdout.flush()
    uvicorn.run(service, host=host, port=port, workers=1, log_level="info", server_header=False)


@token_app.command("create")
def token_create(
    agent: Annotated[str, typer.Option("--agent", help="Whose token: every note logged with it names this agent.")],
    json_output: JsonOption = False,
) -> None:
    """Make a token for an agent or bot and print it, once: only its hash is kept
    (in .kbgen/tokens.json, which git ignores).

    Example: kbgen api token create --agent maya
    """
    from kbgen.project import Project
    from kbgen.tokens import TokenStore

    token, text = TokenStore(Project.find().root).create(agent)
    if json_output:
        print_json({**token.public(), "token": text})
        return
    typer.echo(text)
    say(f"token {token.id} for {agent}: shown once, keep it secret; revoke it with `kbgen api token revoke {token.id}`",
        err=True)


@token_app.command("list")
def token_list(json_output: JsonOption = False) -> None:
    """The tokens: id, agent, when made and, if so, revoked (never the tokens themselves).

    Example: kbgen api token list --json
    """
    from kbgen.project import Project
    from kbgen.tokens import TokenStore

    tokens = TokenStore(Project.find().root).tokens()
    if json_output:
        print_json([t.public() for t in tokens])
        return
    if not tokens:
        typer.echo("No tokens yet; make one with `kbgen api token create --agent NAME`.")
    for token in tokens:
        state = f"revoked {token.revoked}" if token.revoked else "valid"
        say(f"{token.id}  {token.agent}  created {token.created}  {state}")


@token_app.command("revoke")
def token_revoke(
    which: Annotated[str, typer.Argument(help="A token's id, or an agent's name (revokes all of theirs).")],
) -> None:
    """Revoke a token (by id) or every token of an agent (by name), at once: the service refuses it
    from its next request.

    Example: kbgen api token revoke maya
    """
    from kbgen.project import Project
    from kbgen.tokens import TokenStore

    for token in TokenStore(Project.find().root).revoke(which):
        say(f"revoked token {token.id} ({token.agent})")
