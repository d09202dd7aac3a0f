"""E-mail addresses: plain ("ann@example.com"), URL-encoded ("ann%40example.com") and spelled
out to fool scrapers ("first DOT last AT gmail DOT com", "name(at)domain(dot)com").

The company's own addresses (support@...) are kept: see ``keeping``.
"""

from __future__ import annotations

import re

from .detector import Detector, Replace, placeholder
from .patterns import lazy

_EMAIL_RE = lazy(
    r"(?<![\w.%+'-])"
    r"[\w.%+'-]{1,64}(?:@|%40)"
    r"(?:[\w](?:[\w-]{0,61}[\w])?\.){1,8}"
    r"[^\W\d_]{2,24}"
    r"(?![\w-]|\.[\w-])"
)

# File names that look like addresses ("icon@2x.png"): no top-level domain is a file type.
_FILE_TYPES = frozenset((
    "png", "jpg", "jpeg", "gif", "svg", "webp", "pdf", "css", "js", "txt", "json", "yml", "yaml", "html", "htm", "php", "aspx",
))


def _email(m: re.Match[str]) -> str | None:
    return None if m.group(0).rsplit(".", 1)[-1].lower() in _FILE_TYPES else placeholder("email")


# Spelled-out addresses. "at" and "dot" in brackets ("(at)", "[dot]", "{at}", "<dot>") or as words
# ("AT", " at "); a word "at" counts only with a spelled-out dot after it ("first at gmail dot
# com") or before a mail provider ("ann at gmail.com"), so "look at example.com" is left alone.
_OPEN, _CLOSE = r"[(\[{<]", r"[)\]}>]"
_AT_BRACKETED = r"[ \t]{0,2}" + _OPEN + r"[ \t]?(?i:at)[ \t]?" + _CLOSE + r"[ \t]{0,2}"
_DOT_BRACKETED = r"[ \t]{0,2}" + _OPEN + r"[ \t]?(?i:dot)[ \t]?" + _CLOSE + r"[ \t]{0,2}"
_DOT_WORD = r"[ \t]{1,2}(?i:dot)[ \t]{1,2}"
_DOT = r"(?:" + _DOT_BRACKETED + r"|" + _DOT_WORD + r"|\.)"
_PART = r"[A-Za-z0-9_%+-]{1,64}"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_TLD = r"[A-Za-z]{2,24}(?![\w-]|\.[\w-]|" + _DOT + r"[A-Za-z])"
_PROVIDERS = (
    r"(?i:gmail|googlemail|yahoo|ymail|hotmail|outlook|live|msn|icloud|me|aol|gmx|web|proton|protonmail|pm"
    r"|yandex|mail|orange|free|wanadoo|libero|t-online|freenet|comcast|verizon|btinternet|zoho|fastmail|hey)"
)
_OBFUSCATED_RE = lazy(
    r"[A-Za-z0-9_%+-](?<![\w.%+-].)[A-Za-z0-9_%+-]{0,63}(?:" + _DOT + _PART + r"){0,4}"
    r"(?:"
    # (at) or [at]: anything that ends in a top-level domain
    + _AT_BRACKETED + r"(?:" + _LABEL + _DOT + r"){1,4}" + _TLD
    # AT or at as a word: a spelled-out dot, or a mail provider with a real dot
    + r"|[ \t]{1,2}(?i:at)[ \t]{1,2}(?:(?:" + _LABEL + r"(?:" + _DOT + _LABEL + r"){0,3}" + r"(?:" + _DOT_BRACKETED + r"|" + _DOT_WORD + r"))"
    + r"|" + _PROVIDERS + r"\.(?:" + _LABEL + r"\.){0,2})" + _TLD
    + r")"
)


# Where the spelled-out pattern is worth running: a spelled-out dot, an "(at)", or "at gmail.".
_PROVIDER_GATE = lazy(r"(?i:[ \t]at[ \t]{1,2}" + _PROVIDERS + r"\.)|[(\[{<][ \t]?(?i:at)[ \t]?[)\]}>]")

# Words that are never a domain's label after a word "at" ("log in at the dot com site").
_NOT_DOMAIN_WORDS = frozenset("the a an this that these those my your our their his her its".split())
_SPELLED_AT_RE = lazy(r"[ \t]*" + _OPEN + r"[ \t]?(?i:at)[ \t]?" + _CLOSE + r"[ \t]*|[ \t]+(?i:at)[ \t]+")
_SPELLED_DOT_RE = lazy(_DOT_BRACKETED + "|" + _DOT_WORD)


def _address(text: str) -> str:
    """TEXT, a found address, written plainly: "ann(at)example(dot)com" -> "ann@example.com"."""
    if "@" in text or "%40" in text:
        return text.replace("%40", "@")
    return _SPELLED_DOT_RE.sub(".", _SPELLED_AT_RE.sub("@", text, count=1))


def _obfuscated(m: re.Match[str]) -> str | None:
    domain = _address(m.group(0)).rsplit("@", 1)[-1].lower()
    if not _NOT_DOMAIN_WORDS.isdisjoint(domain.split(".")):
        return None
    return placeholder("email")


def keeping(detector: Detector, domains: tuple[str, ...]) -> Detector:
    """DETECTOR, leaving alone addresses at DOMAINS or their subdomains (the company's own)."""
    inner: Replace = detector.replace or (lambda m: placeholder("email"))

    def replace(m: re.Match[str]) -> str | None:
        domain = _address(m.group(0)).rsplit("@", 1)[-1].lower()
        if any(domain == d or domain.endswith("." + d) for d in domains):
            return None
        return inner(m)

    return detector.with_replace(replace)


EMAIL = Detector("email.address", "email", _EMAIL_RE, _email, hints=frozenset(("@", "%40")))
OBFUSCATED = Detector(
    "email.obfuscated", "email", _OBFUSCATED_RE, _obfuscated,
    hints=frozenset(("(at)", "[at]", "{at}", "<at>", "( at )", "[ at ]", " at ")),
    gate=lambda t: "dot" in t.lower() or _PROVIDER_GATE.search(t),
)
