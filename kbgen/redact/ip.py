"""IP addresses: dotted quads (not versions or section numbers) and IPv6 that the standard
library accepts."""

from __future__ import annotations

import re

from .detector import ANY, DIGIT, Detector, placeholder
from .patterns import digits, lazy

_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
_IPV4_GATE = lazy(r"[0-9]\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]")
_IPV4_RE = lazy(r"(?<![\w.])" + _OCTET + r"(?:\." + _OCTET + r"){3}(?![\w]|\.[0-9])")
_IPV6_RE = lazy(r"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])")
_IPV6_FULL_RE = lazy(r"(?<![\w:.])(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}(?![\w:])")
# Words right before a dotted quad that make it a version or section number.
_VERSION_CONTEXT_RE = lazy(
    r"(?i:\b(?:versions?|ver\.?|v|build|release|firmware|patch|update|sdk|api|app|kernel|driver"
    r"|chrome|firefox|safari|edge|ios|ipados|android|macos|windows|python|node|java|php|ruby|perl"
    r"|section|sections|chapter|clause|article|step|rule|paragraph|para\.?|item|table|figure|fig\.?)|§)"
    r"[ \t]*$"
)
# "upgrade from 3.2.1.0 to 3.2.2.0", "rolled back to 3.2.1.0": a dotted quad right after "from" or
# "to" that follows an install word within two words; not about networks ("updated the DNS to
# 8.8.8.8" keeps its address redacted).
_VERSION_VERB_RE = lazy(
    r"(?i:\b(?:upgrad|updat|downgrad|roll(?:ed|ing)?[ ]back|rollback|revert|install|reinstall)\w*"
    r"(?:[ ](?:it|the|app|apps|version|firmware|software|client|sdk|agent|plugin|os|cos|back)){0,3}"
    r"[ ](?:from[ ][0-9.]+[ ])?(?:from|to)[ ])$"
)


def _ipv4(m: re.Match[str]) -> str | None:
    """Skip four-part version numbers ("version 1.2.3.4", "upgrade from 3.2.1.0 to 3.2.2.0",
    "roll back to 3.2.1.0")."""
    before = m.string[max(0, m.start() - 20):m.start()]
    if _VERSION_CONTEXT_RE.search(before) or _VERSION_VERB_RE.search(m.string[max(0, m.start() - 60):m.start()]):
        return None
    return placeholder("ip")


def _ipv6(m: re.Match[str]) -> str | None:
    """Only full or ::-compressed forms with 3+ colons, validated by the standard library.

    Times ("10:30:15") and C++ scopes are never IPv6 this way.
    """
    s = m.group(0)
    if s.count(":") < 3 or ("::" not in s and s.count(":") != 7):
        return None
    import ipaddress  # 2 ms to import; needed only when a note holds an IPv6-shaped word

    try:
        ipaddress.IPv6Address(s)
    except ValueError:
        return None
    return placeholder("ip")


IPV4 = Detector(
    "ip.v4", "ip", _IPV4_RE, _ipv4, needs=DIGIT,
    gate=lambda t: t.count(".") >= 3 and digits(t) >= 4 and _IPV4_GATE.search(t),
)
IPV6 = Detector("ip.v6", "ip", _IPV6_RE, _ipv6, hints=frozenset(("::",)), needs=ANY)
IPV6_FULL = Detector("ip.v6_full", "ip", _IPV6_FULL_RE, _ipv6, needs=ANY, gate=lambda t: t.count(":") >= 7)
