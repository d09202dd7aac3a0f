"""Secrets: private keys, vendor-prefixed tokens, passwords in URLs, and values after a label
("password: hunter2", "PIN 4821", "api key: 3f9a8b7c6d5e4f3a2b1c").

Labels are ordinary words too ("Reset your password", "Boarding pass: LH1234", "the 2FA code
is 6 digits"), so what counts after one depends on the label and on what joins it to the
value; see ``_password``.
"""

from __future__ import annotations

import re

from .detector import Detector, placeholder
from .patterns import HAS_DIGIT, PLACEHOLDER_AHEAD, label, lazy

# Tokens whose vendor prefix alone identifies them as credentials.
_PREFIXED_RE = lazy(
    r"(?<![A-Za-z0-9])(?:"
    r"(?:sk|pk|rk)_(?:live|test)_[A-Za-z0-9]{8,200}"  # Stripe
    r"|sk-(?:proj-|ant-(?:api|admin)[0-9]{2}-|svcacct-)?"  # OpenAI, Anthropic: long, in mixed case
    r"(?=[A-Za-z0-9_-]{0,300}?[a-z])(?=[A-Za-z0-9_-]{0,300}?[A-Z])"
    r"[A-Za-z0-9_-]{32,300}"
    r"|whsec_[A-Za-z0-9]{16,200}"  # Stripe webhook secret
    r"|gh[pousr]_[A-Za-z0-9]{20,255}"  # GitHub tokens
    r"|github_pat_[A-Za-z0-9_]{20,255}"
    r"|glpat-[A-Za-z0-9_-]{20,100}"  # GitLab
    r"|(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA)[0-9A-Z]{16}"  # AWS key ids
    r"|xox[abprs]-[A-Za-z0-9-]{10,200}"  # Slack
    r"|AIza[0-9A-Za-z_-]{35}"  # Google API key
    r"|npm_[A-Za-z0-9]{36}"
    r"|SG\.[A-Za-z0-9_-]{16,32}\.[A-Za-z0-9_-]{16,64}"  # SendGrid
    r"|eyJ[A-Za-z0-9_-]{5,2000}\.eyJ[A-Za-z0-9_-]{5,4000}\.[A-Za-z0-9_-]{5,2000}"  # JWT
    r")(?![A-Za-z0-9])"
)
_PREFIXES = frozenset((
    "_live_", "_test_", "sk-", "whsec_", "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "glpat-",
    "akia", "asia", "agpa", "aida", "aroa", "anpa", "xox", "aiza", "npm_", "sg.", "eyj",
))

_PRIVATE_KEY_RE = lazy(
    r"-----BEGIN[A-Z ]{0,40} PRIVATE KEY-----[\s\S]{0,20000}?-----END[A-Z ]{0,40} PRIVATE KEY-----"
)

# user:password@host inside a URL: only the password part is replaced.
_URL_CREDENTIALS_RE = lazy(r"(?<=://)(?P<user>[^\s:/@\[\]]{1,64}):(?P<pw>[^\s/@\[\]]{1,128})@")


def _url_credentials(m: re.Match[str]) -> str:
    return f"{m.group('user')}:{placeholder('secret')}@"


# ---------------------------------------------------------------------------------------------
# passwords, PINs and codes after a label
# ---------------------------------------------------------------------------------------------

# "is" in the languages of the labels
_IS = r"(?i:is|was|ist|war|es|era|est|était|é|è|zijn)"
# A quoted value, in ASCII, typographic, German, French or code quotes. An apostrophe followed
# by a letter is inside a word ('don't panic'), not the closing quote.
_QUOTED = (
    r"\"[^\"\n]{1,200}\""
    r"|'(?:[^'\n]|'(?=[^\W\d_])){1,200}'"
    r"|“[^”\n]{1,200}”|‘(?:[^’\n]|’(?=[^\W\d_])){1,200}’|„[^“”\n]{1,200}[“”]"
    r"|«[^»\n]{1,200}»|‹[^›\n]{1,200}›|`[^`\n]{1,200}`"
)
_WORD = r"(?:[^\W\d_]|['’]){1,20}"  # a word of letters, in any script
_QUOTE_MARKS = "\"'“”‘’„«»‹›`"

# "password: hunter2", "pwd=abc", "my password is hunter2", "PIN: 1234", "password for the admin
# account is Hunter22", "changed the password to Winter2024!".
_PASSWORD_RE = lazy(
    r"(?P<label>"
    + label(
        r"pass[ ]code", r"pass[ ]phrase", r"pass(?:word|wd|phrase|code|wort)?", r"pwd", r"pw", r"kennwort", r"wachtwoord",
        r"mot[ ]de[ ]passe", r"contrase(?:ñ|n)a", r"senha", r"pin(?:[ ]?code)?", r"cvv2?", r"cvc2?",
        r"security[ ]code", r"otp", r"one[- ]time[ ](?:code|password)", r"verification[ ]code",
        r"2fa[ ]code", r"recovery[ ]code",
    )
    + r")"
    r"(?P<sep>[ \t]*[:=][ \t]*"
    r"|[ \t]+" + _IS + r"(?:[ \t]*:)?[ \t]+"
    # a bridge: "to", "as", or up to four words before "is" or ":"
    r"|(?P<bridge>[ \t]+(?i:to|as)[ \t]+"
    r"|[ \t]+(?:" + _WORD + r"[ \t]+){0,3}?" + _WORD + r"(?:[ \t]*:[ \t]*|[ \t]+" + _IS + r"[ \t]+))"
    r"|[ \t]+)"
    + PLACEHOLDER_AHEAD
    + r"(?P<value>(?P<quoted>" + _QUOTED + r")|\S+)"
)

# Words that follow "password is" in ordinary prose ("my password is not working"); with these
# the sentence talks *about* the password.
_PROSE_AFTER_IS = frozenset(
    """
    not no never wrong incorrect invalid expired correct right too very being
    still the a an required reset locked case-sensitive case missing empty
    blank weak strong changed set saved stored rejected accepted failing
    working ok okay fine now also different same long short at in on for of
    to valid forgotten lost my your his her their our this that it what which
    visible hidden shown displayed sent emailed mandatory optional only just
    definitely really probably always sometimes correctly supposed unknown
    there here and or but so if when where how why who whatever
    """.split()
)

_PASSWORD_WORDS = frozenset((
    "password", "passwd", "passphrase", "pass phrase", "pwd", "pw", "pass", "passwort", "kennwort", "wachtwoord",
    "mot de passe", "contraseña", "contrasena", "senha",
))
_ENGLISH_WORDS = frozenset(("password", "passwd", "passphrase", "pass phrase", "pwd"))  # "is" after these is English
# Words after a code's number that make it a rule, not a code ("the code is 6 digits", "4 dígitos").
_UNIT_AFTER = lazy(
    r"[ \t]*(?:-[ \t]*)?(?i:digits?|characters?|chars?|letters?|numbers?|symbols?|long|or[ \t]+more"
    r"|stellig|stellen|zeichen|ziffern|tage|monate|tekens?|cijfers?|dagen|maanden|dígitos|digitos|caracteres|chiffres"
    r"|caractères|cifre|caratteri|días|dias|jours|giorni)\b"
)
# Words after "password:" that start a rule, not a password ("Password: at least 12 characters").
_RULE_WORDS = frozenset(("at", "min", "minimum", "max", "maximum", "must", "should", "needs", "need", "required", "optional"))
# "pass" and "pw" are ordinary words too ("Boarding pass: LH1234", "Servo PW: 1500us", "Tests
# pass: 120/120"): they count only in credentials ("user jsmith pw: hunter2") or after "my"
# ("my pass is Sommer2024").
_SHORT_LABELS = frozenset(("pass", "pw"))
_CREDENTIALS_BEFORE = lazy(r"(?i:\b(?:user(?:name)?|login|creds?|credentials|account|e-?mail)\b)")
# Words right after a label that make it part of a compound noun: "the password manager is
# 1Password", "the password policy is "at least 12 characters"" are not passwords.
_COMPOUND_WORDS = frozenset((
    "manager", "managers", "policy", "policies", "rule", "rules", "requirement", "requirements", "field", "reset", "hint",
    "strength", "change", "expiry", "length", "prompt", "box", "screen", "page", "link", "form", "dialog", "settings",
    "history", "vault", "generator", "protection", "protected", "format", "limit", "check", "entry", "input",
))
_POSSESSIVE_BEFORE = lazy(r"(?i:\b(?:my|your|his|her|their|our)[ \t]+)$")
# Values after "=" that are code, not a password ("password = None", "pass = checkInput(form);").
_CODE_VALUES = frozenset(("none", "null", "nil", "true", "false", "undefined", "''", '""', "getpass()", "input()"))


def _password_like(value: str) -> bool:
    """Letters and digits, six characters or more: "Welcome2026!", "Geheim123", not "12" or "2024"."""
    return len(value) >= 6 and HAS_DIGIT.search(value) is not None and any(c.isalpha() for c in value)


def _code_like(label_: str, value: str) -> bool:
    """A PIN of four digits or more, a CVV of three, another code with a digit ("K7P2Q9")."""
    digit_count = sum(c.isdigit() for c in value)
    low = label_.lower()
    need = 4 if low.startswith("pin") else 3 if low[:2] == "cv" else 1
    return len(value) >= 3 and value.replace("-", "").isalnum() and digit_count >= need


def _password(m: re.Match[str]) -> str | None:
    """Keep the label, replace the value up to whitespace (or the quoted value).

    What counts depends on the label and on what joins it to the value: after ":" or "=" nearly
    anything is the secret; after "is" (in English, after an English label) anything but prose;
    after another language's "is", a bridge ("to", "for the admin account is"), or with no
    joining word, only a value that looks like a password or is quoted (or, after "PIN" and the
    like, a code).
    """
    label_, sep, value = m.group("label"), m.group("sep"), m.group("value")
    low = label_.lower()
    bridged = m.group("bridge") is not None
    quoted = m.group("quoted") is not None
    rest = ""
    bare = value.rstrip(".,;:)")
    number, dash, unit = bare.partition("-")
    if number.isdigit() and (_UNIT_AFTER.match(unit) if dash else _UNIT_AFTER.match(m.string, m.end())):
        return None  # "the 2FA code is 6 digits", "Die PIN ist 4-stellig", "90 Tage gültig"
    explicit = not bridged and bool({":", "="} & set(sep))
    joining = sep.strip(" \t:=").lower()
    code_label = low not in _PASSWORD_WORDS
    if low in _SHORT_LABELS:
        before = m.string[max(0, m.start() - 60):m.start()]
        credentials = explicit and _password_like(bare) and _CREDENTIALS_BEFORE.search(before)
        mine = joining in ("is", "was") and (_password_like(bare) or quoted) and _POSSESSIVE_BEFORE.search(before)
        if not (credentials or mine):
            return None
    if bridged and (sep.split() or [""])[0].lower() in _COMPOUND_WORDS:
        return None  # "the password manager is 1Password"
    if quoted and not explicit and (value[1:].split(maxsplit=1) or [""])[0].lower().strip(".,") in _RULE_WORDS:
        return None  # 'the password rule is "at least 12 characters"'
    if "=" in sep and ("(" in value or value.lower().rstrip(";,") in _CODE_VALUES or sep.strip().startswith("==")):
        return None
    if not explicit:
        if code_label:
            if not _code_like(label_, bare.strip(_QUOTE_MARKS)):
                return None
        elif not joining:  # "the temporary password Welcome2026!", not "password reset"
            if not _password_like(bare):
                return None
        elif (bridged or not (joining in ("is", "was") and low in _ENGLISH_WORDS)) and not (quoted or _password_like(bare)):
            return None  # "Het wachtwoord is verlopen", "the password reset link is broken"
    if not quoted:
        if "=" in sep and "&" in value:  # query string: pwd=abc&next=1
            value, amp, tail = value.partition("&")
            rest = amp + tail
        word = value.lower().strip(".,;:!?\"'()")
        if not word:
            return None
        if not explicit and joining in ("is", "was") and word in _PROSE_AFTER_IS:  # "password is not working"
            return None
        if explicit and word in _RULE_WORDS:  # "Password: at least 12 characters"
            return None
        # keep sentence punctuation after the value; passwords rarely end in it
        stripped = value.rstrip(".,;:)")
        if stripped:
            rest = value[len(stripped):] + rest
            value = stripped
        if not value:
            return None
    return f"{label_}{sep}{placeholder('secret')}{rest}"


# ---------------------------------------------------------------------------------------------
# tokens after a label
# ---------------------------------------------------------------------------------------------

# "api key: ...", "token=...", "Bearer ...": random-looking value after a label.
_TOKEN_RE = lazy(
    r"(?P<label>"
    + label(
        r"api[ _-]?key", r"apikey", r"access[ _-]?key(?:[ _-]?id)?", r"secret[ _-]?(?:access[ _-]?)?key",
        r"client[ _-]?secret", r"webhook[ _-]?secret", r"auth[ _-]?token", r"access[ _-]?token",
        r"refresh[ _-]?token", r"bearer[ _-]?token", r"api[ _-]?token", r"session[ _-]?token",
        r"id[ _-]?token", r"token", r"bearer", r"secret", r"private[ _-]?key",
    )
    + r")"
    r"(?P<sep>[ \t]*[:=][ \t]*|[ \t]+(?i:is|was)(?:[ \t]*:)?[ \t]+|[ \t]+)"
    r"(?P<q>[\"']?)(?P<value>[A-Za-z0-9_\-./+=~]{8,4000})(?P=q)(?![A-Za-z0-9_\-/+=~])"
)


def _looks_random(value: str, min_len: int) -> bool:
    """Cheap entropy test: long enough and mixes character classes.

    Real keys almost always mix letters and digits; prose words never do.
    """
    if len(value) < min_len:
        return False
    has_digit = any(c.isdigit() for c in value)
    has_lower = any(c.islower() for c in value)
    has_upper = any(c.isupper() for c in value)
    if has_digit and (has_lower or has_upper):
        return len(set(value)) >= 6
    # letters only: accept only long mixed-case strings (base64-ish)
    return len(value) >= 20 and has_lower and has_upper and len(set(value)) >= 10


def _token(m: re.Match[str]) -> str | None:
    """Keep the label; redact only if the value looks machine-generated."""
    sep, value = m.group("sep"), m.group("value")
    explicit = ":" in sep or "=" in sep
    trimmed = value.rstrip(".,")
    tail = value[len(trimmed):]
    if not _looks_random(trimmed, 12 if explicit else 16):
        return None
    q = m.group("q")
    return f"{m.group('label')}{sep}{q}{placeholder('secret')}{q}{tail}"


PRIVATE_KEY = Detector("secret.private_key", "secret", _PRIVATE_KEY_RE, hints=frozenset(("private key",)))
PREFIXED = Detector("secret.prefixed", "secret", _PREFIXED_RE, hints=_PREFIXES)
URL_CREDENTIALS = Detector("secret.url_credentials", "secret", _URL_CREDENTIALS_RE, _url_credentials, hints=frozenset(("://",)))
PASSWORD = Detector(
    "secret.password", "secret", _PASSWORD_RE, _password,
    hints=frozenset(("pass", "pwd", "pw", "kennwort", "wachtwoord", "contrase", "senha", "pin", "cvv", "cvc", "code", "otp")),
)
TOKEN = Detector("secret.token", "secret", _TOKEN_RE, _token, hints=frozenset(("key", "token", "bearer", "secret")))
