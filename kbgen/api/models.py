"""The service's request and response bodies: one set of pydantic models, used to validate
requests and to generate the OpenAPI documents (/openapi.json, /docs).

Requests refuse unknown fields and wrong types (strict: "3" is not a number, "yes" not true).
Responses are the very JSON the command line prints (`kbgen ask --json`, `kbgen log --json`);
their models document it.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field, RootModel

from kbgen import signals


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


class NoteRequest(Strict):
    """A gap note: the fields of `kbgen log` (and of a `log -` line). The agent is the token's."""

    question: str = Field(description="The customer's question, in their words.")
    answer: str = Field("", description="The answer the agent gave.")
    agent: Optional[str] = Field(None, description="Must be the token's agent if given.")
    channel: str = Field("other", description="chat, email, phone, in-person or other.")
    ticket: Union[str, int] = ""
    tags: Union[list[str], str] = Field(default_factory=list)
    category: str = Field("", description="A folder of kb/.")
    id: Union[str, int] = Field("", description="An idempotency key: logging an id twice stores it once.")
    time: str = Field("", description="When it was asked, ISO 8601; default: now.")


class NoteBatchRequest(Strict):
    notes: list[NoteRequest] = Field(min_length=1, description="At most `api_max_batch` (500) notes.")


class NoteResponse(BaseModel):
    """`kbgen log --json`: the note as the log holds it, and whether this request stored it."""

    id: str
    time: str
    question: str
    answer: Optional[str] = None
    agent: Optional[str] = None
    channel: Optional[str] = None
    ticket: Optional[str] = None
    tags: Optional[list[str]] = None
    category: Optional[str] = None
    redacted: Optional[list[str]] = None
    matched: Optional[list[dict[str, Any]]] = None
    answered: bool
    state: str
    events: Optional[list[dict[str, Any]]] = None
    stored: bool


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
