"""The service's request and response bodies: one set of pydantic models, used to validate
requests and to generate the OpenAPI documents (/openapi.json, /docs).

Requests refuse unknown fields and wrong types (strict: "3" is not a number, "yes" not true).
Responses are the very JSON the command line prints (`kbgen ask --json`, `kbgen log --json`);
their models document it.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field, RootModel, create_model

from kbgen import note_fields, signals


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


# --- ask -----------------------------------------------------------------------------------------


class ReplyOptions(Strict):
    reply: bool = Field(False, description="Also a customer-ready reply from the answering article (as `ask --reply`).")
    channel: str = Field("chat", max_length=50, description="The reply's template: chat, email, or one the team added.")
    agent_name: Optional[str] = Field(None, max_length=200, description="Signs the reply; default: the token's agent.")


class AskRequest(ReplyOptions):
    question: str = Field(min_length=1, max_length=2_000, description="The customer's question, in their words.")
    limit: int = Field(3, ge=1, le=50, description="How many articles to return.")
    customer_name: str = Field("", max_length=200, description="The customer's name, for the reply's greeting.")


class AskItem(Strict):
    question: str = Field(min_length=1, max_length=2_000)
    id: Union[str, int, None] = Field(None, description="Yours, returned with the answer.")
    customer_name: Optional[str] = Field(None, max_length=200)


class AskBatchRequest(ReplyOptions):
    questions: list[AskItem] = Field(min_length=1, description="At most `api_max_batch` (500) questions.")
    limit: int = Field(3, ge=1, le=50)


class Hit(BaseModel):
    slug: str
    title: str
    category: str
    url: str = Field(description="The public address; empty for an internal article.")
    path: str
    score: float
    snippet: str
    audience: Literal["public", "internal"]


class AskResponse(BaseModel):
    """`kbgen ask --json`."""

    question: str
    answered: bool
    results: list[Hit]
    reply: Optional[dict[str, Any]] = Field(None, description="With `reply`: the message to send, or null.")
    no_reply: Optional[str] = Field(None, description="With `reply` and no reply: why.")


class AskBatchItem(AskResponse):
    index: int
    id: Union[str, int, None]


class AskBatchResponse(BaseModel):
    """One answer a question, in order (as `kbgen ask -` writes them, with `index` for `line`)."""

    results: list[AskBatchItem]


# --- notes ---------------------------------------------------------------------------------------


# The note's fields come from the one table of them (`kbgen.note_fields.FIELDS`): its help is each
# field's description in the OpenAPI documents, as it is each option's help in `kbgen log --help`.
ON_THE_SERVICE = {"agent": "must be the token's agent if given; default: the token's",
                  "id": "an idempotency key: a repeat stores nothing and returns the note the log holds"}


def _given(spec: note_fields.Field) -> tuple[Any, Any]:
    """The request's type and Field for a note field a caller gives (strict: no coercion)."""
    described = spec.help + (f" ({ON_THE_SERVICE[spec.name]})" if spec.name in ON_THE_SERVICE else "") + "."
    if spec.kind is list:
        return Union[list[str], str], Field(default_factory=list, description=described)
    kind: Any = Union[str, int] if spec.number_ok else str
    if spec.name == "question":  # the one a caller must give (kbgen makes an id and a time)
        return kind, Field(description=described)
    if spec.name == "agent":  # null: the token's agent, as when it is left out
        return Optional[kind], Field(None, description=described)
    return kind, Field(spec.default, description=described)


def _stored(spec: note_fields.Field) -> tuple[Any, Any]:
    """The response's type and Field for a stored note field (left out when empty, but the required)."""
    kind: Any = {str: str, bool: bool, list: list[dict[str, Any]] if spec.name == "matched" else list[str]}[spec.kind]
    if spec.required:
        return kind, Field(description=spec.help + ".")
    return Optional[kind], Field(None, description=spec.help + ".")


NoteRequest = create_model(  # type: ignore[call-overload]
    "NoteRequest", __base__=Strict, __module__=__name__,
    __doc__="A gap note: the fields of `kbgen log` (and of a `log -` line). The agent is the token's.",
    **{spec.name: _given(spec) for spec in sorted(note_fields.FIELDS, key=lambda f: f.name != "question") if spec.given},
)


class NoteBatchRequest(Strict):
    notes: list[NoteRequest] = Field(min_length=1, description="At most `api_max_batch` (500) notes.")  # type: ignore[valid-type]


NoteResponse = create_model(  # type: ignore[call-overload]
    "NoteResponse", __module__=__name__,
    __doc__="`kbgen log --json`: the note as the log holds it, and whether this request stored it.",
    **{spec.name: _stored(spec) for spec in note_fields.FIELDS},
    state=(str, Field(description="open, drafted, resolved or dismissed: its events folded in.")),
    events=(Optional[list[dict[str, Any]]], Field(None, description="What happened to it since (drafted, resolved...).")),
    stored=(bool, Field(description="This request stored it (false: its id was already logged).")),
)


class Article(BaseModel):
    slug: str
    title: str
    url: str
    path: str
    audience: str


class NoteBatchItem(BaseModel):
    """As a line of `kbgen log -` (with `index` for `line`), or the error of a note not stored."""

    index: int
    id: Optional[str] = None
    stored: Optional[bool] = None
    answered: Optional[bool] = None
    article: Optional[Article] = None
    redacted: Optional[list[str]] = None
    error: Optional[str] = None
    field: Optional[str] = None


class NoteBatchResponse(BaseModel):
    results: list[NoteBatchItem]


# --- signals -------------------------------------------------------------------------------------


class SearchSignal(Strict):
    """A search on the site that failed: what was typed, how many results it showed (0: nothing
    found), and whether it ended on "contact support" (a failed search even with results)."""

    type: Literal["search"]
    query: str = Field(min_length=1, max_length=signals.LIMITS["query"],
                       description="What the customer typed (redacted before it is stored).")
    results: int = Field(ge=0, le=signals.MAX_RESULTS, description="How many results the site showed; 0: the search found nothing.")
    contact: bool = Field(False, description="The search ended on a click on \"contact support\".")


class FeedbackSignal(Strict):
    """A "Was this helpful?" vote on a published public article."""

    type: Literal["feedback"]
    slug: str = Field(min_length=1, max_length=signals.LIMITS["slug"], description="The article's slug.")
    helpful: bool
    reason: str = Field("", max_length=signals.LIMITS["reason"], description="Why it did not help (redacted before it is stored).")


class Signal(RootModel[Annotated[Union[SearchSignal, FeedbackSignal], Field(discriminator="type")]]):
    """A search or a feedback signal, told apart by "type"."""


class SignalResponse(BaseModel):
    stored: bool


class Health(BaseModel):
    status: Literal["ok"]
    engine: str


class Problem(BaseModel):
    """Every error: what is wrong and, when a field is at fault, which."""

    error: str
    field: Optional[str] = None
