"""Words customers use for what a help center calls by another name, for the site's search.

The site's search is lexical, in the browser: "membership" finds nothing in a help center that
says "subscription", and "login" nothing where the articles say "sign in". Hosted help centers
let admins list synonyms; kbgen ships a short list of the everyday ones of support (below) and
adds the team's own (`search_synonyms` in mkdocs.yml, one "word, word, phrase" group a line).

Synonyms go into the index, not the query: an article that says one member of a group gets the
others in a search field of their own (`synonyms`, weighed below the article's own words), so the
theme's search and kbgen's worker need nothing more, and a query for a word the help center never
uses still meets the article in its own words.

Each group holds words that mean the same in a support question; a word with several common
meanings ("account", "app", "file", "send") stays out, or every page would match every query.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

BUILT_IN: tuple[str, ...] = (
    "sign in, log in, login, log on, logon, signin",
    "sign up, signup, register, registration, create an account",
    "sign out, log out, logout",
    "password, passcode, passphrase",
    "delete, erase, get rid of",
    "cancel, unsubscribe, terminate",
    "subscription, membership, renewal, renew",
    "refund, money back, reimburse, reimbursement",
    "charged, billed",
    "price, pricing, cost, fee",
    "invoice, receipt",
    "upgrade, downgrade, change plan, switch plan",
    "invite, add users, add people, teammate, colleague, coworker, new hire",
    "team, workspace, organization, organisation",
    "crash, crashes, quits, freezes, won't start, won't open",
    "sync, synchronize, synchronise, syncing",
    "download, save to my computer",
    "computer, pc, laptop",
    "phone, mobile, android, iphone, tablet",
    "limit, maximum, cap",
    "quota, storage space, out of space",
    "support, customer service, help desk, helpdesk",
    "feedback, suggestion, feature request, bug report, report a bug",
    "restore, recover, undelete, bring back",
    "email, e-mail",
    "two-factor, 2fa, mfa, two-step, verification code, authenticator",
    "sso, single sign-on, saml, okta, identity provider",
    "api key, access key, developer key",
    "outage, service status, status page",
    "slow, sluggish, takes forever",
    "import, migrate, migration",
    "locked out, too many attempts",
)

_WORDS = re.compile(r"[a-z0-9]+(?:['’-][a-z0-9]+)*")


def groups(extra: Iterable[str] = ()) -> list[tuple[str, ...]]:
    """The built-in groups and the team's own, each a tuple of lowercase phrases."""
    found = []
    for line in (*BUILT_IN, *extra):
        members = tuple(dict.fromkeys(" ".join(_WORDS.findall(part.lower())) for part in line.split(",")))
        members = tuple(m for m in members if m)
        if len(members) >= 2:
            found.append(members)
    return found


def expansions(text: str, synonym_groups: list[tuple[str, ...]]) -> str:
    """The other members of every group one of whose phrases TEXT holds (as whole words), and
    that TEXT does not hold already: what the article's `synonyms` search field receives."""
    words = " " + " ".join(_WORDS.findall(text.lower())) + " "
    added: dict[str, None] = {}
    for members in synonym_groups:
        present = [m for m in members if f" {m} " in words]
        if present:
            for member in members:
                if member not in present:
                    added[member] = None
    return " ".join(added)
