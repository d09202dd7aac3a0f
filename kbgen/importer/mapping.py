"""Names and front matter: the source's categories, slugs and keys as kbgen's.

Every name that becomes part of a path goes through `safe_name`, so front matter from the source
(`slug: ../../etc`) can never place a file outside kb/."""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import Any

from ..articles import RESERVED_SLUGS, STATUSES
from .model import SourcePage
from .reading import text_list

SUMMARY_KEYS = ("description", "summary", "excerpt")
CATEGORY_KEYS = ("categories", "category", "folder")
DATE_KEYS = ("last_modified_at", "last_update", "updated", "modified", "date")


def safe_name(text: object, fallback: str) -> str:
    """TEXT as a kb/ folder or file name: lowercase letters, digits and single hyphens, at most 60."""
    ascii_text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode("ascii").lower()
    name = re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")[:60].strip("-")
    if not name:
        return fallback
    return f"{name}-page" if name in RESERVED_SLUGS else name


def safe_file_name(text: str) -> str:
    """One path segment of a copied image: its own name where safe, never '..' or a hidden file."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip(".-")
    return name or "file"


def category_title(name: str) -> str:
    """A category's title from its source name: "Account & Billing" as written, "account-billing" spelled out."""
    if re.fullmatch(r"[a-z0-9_-]+", name):
        return name.replace("-", " ").replace("_", " ").strip().capitalize() or "General"
    return " ".join(name.split())


def _iso_date(value: Any) -> str | None:
    if isinstance(value, dict):  # Docusaurus: last_update: {date, author}
        value = value.get("date")
    if isinstance(value, date):
        return value.isoformat()[:10]
    if isinstance(value, str) and len(value.strip()) >= 10:
        try:
            return date.fromisoformat(value.strip()[:10]).isoformat()
        except ValueError:
            return None
    return None


def is_draft(page: SourcePage) -> bool:
    """The old site did not publish the page: Jekyll's _drafts/ and `published: false`, Docusaurus' `draft: true`."""
    return page.draft or page.meta.get("draft") is True or page.meta.get("published") is False


def article_meta(page: SourcePage, title: str, split_tags: bool) -> dict[str, Any]:
    """The article's front matter: title, status, summary, tags and updated mapped; other keys kept."""
    meta = page.meta
    out: dict[str, Any] = {"title": title}
    used = {"title", *CATEGORY_KEYS, "tags", "published", "draft"}
    status = meta.get("status")
    if is_draft(page):
        out["status"] = "draft"
        used.add("status")
    elif isinstance(status, str) and status.strip() in STATUSES:
        out["status"] = status.strip()
        used.add("status")
    for key in SUMMARY_KEYS:
        value = meta.get(key)
        if isinstance(value, (str, int, float)) and not isinstance(value, bool) and str(value).strip():
            out["summary"] = " ".join(str(value).split())
            used.add(key)
            break
    categories = text_list(meta.get("categories"), split_words=split_tags)
    tags = text_list(meta.get("tags"), split_words=split_tags and isinstance(meta.get("tags"), str))
    tags += [c for c in categories[1:] if c not in tags]  # the first category is the folder
    if tags:
        out["tags"] = tags
    elif "tags" in meta:
        used.discard("tags")
    for key in DATE_KEYS:
        day = _iso_date(meta.get(key))
        if day:
            out["updated"] = date.fromisoformat(day)
            used.add(key)
            break
    for key, value in meta.items():
        if key not in used and key not in out:
            out[key] = value
    return out
