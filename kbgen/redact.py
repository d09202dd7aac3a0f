"""Remove personal data and secrets from untrusted gap-note text.

Support agents paste customers' questions and their own answers into gap
notes.  That text can hold e-mail addresses, phone and card numbers,
passwords and the like, and none of it may reach the generated help center
or anything else written to disk.  ``redact()`` replaces each item it finds
with a typed placeholder such as ``[email]`` and reports which kinds it
removed, so callers can log *that* something was removed without logging
*what*.

Design choices, and why:

* Precision on numbers.  Help-center text is full of order numbers, dates,
  versions, prices and error codes; redacting those would make the notes
  useless.  So number-shaped detectors need structure (Luhn for cards,
  mod-97 for IBANs, phone-like grouping or a leading ``+`` for phones) or a
  label ("SSN", "passport number", "phone").
* Most specific first.  Detectors run in a fixed order (secrets, e-mail,
  IBAN, card, national id, IP, phone, address) and each later detector only
  sees the placeholders left by earlier ones, so a card number is never
  reported as a phone number.
* Idempotent.  Placeholders hold no digits and no ``@`` and are never
  matched again, and ``redact()`` repeats its passes until one finds
  nothing, so ``redact(redact(x).text)`` returns the same text with no
  kinds.
* HTML or script in the text is left as it is; escaping is the output
  layer's job, not this module's.
* Fast and total.  Every pattern is precompiled, repetitions that could meet
  attacker-sized input are bounded, and cheap gates (a digit, a 9+ digit
  number, a hint word such as "password") skip detectors that cannot fire.
  Any ``str`` is handled without exceptions.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

__all__ = ["KINDS", "Redaction", "redact"]


class _LazyPattern:
    """A regular expression compiled on first use.

    Compiling every detector took 20 ms, a tenth of a `kbgen log`; most notes pass the cheap
    gates of most detectors, so most patterns are never needed in a process.
    """

    __slots__ = ("_args", "_compiled")

    def __init__(self, *args: object) -> None:
        self._args = args
        self._compiled: re.Pattern[str] | None = None

    def __getattr__(self, name: str) -> object:
        compiled = self._compiled
        if compiled is None:
            compiled = self._compiled = re.compile(*self._args)  # type: ignore[call-overload]
        return getattr(compiled, name)


def _lazy(*args: object) -> re.Pattern[str]:
    return _LazyPattern(*args)  # type: ignore[return-value]

#: Every kind ``redact()`` can report, sorted.
KINDS: tuple[str, ...] = (
    "address",
    "card",
    "email",
    "iban",
    "ip",
    "national_id",
    "phone",
    "secret",
)


@dataclass(frozen=True)
class Redaction:
    """Result of ``redact()``: safe text plus which kinds were taken out.

    ``kinds`` is sorted and unique so it can be compared, logged and
    counted without leaking the removed values.
    """

    text: str
    kinds: tuple[str, ...]


def _ph(kind: str) -> str:
    """Placeholder for ``kind``; one helper so the format stays uniform."""
    return f"[{kind}]"


# A value that is already a placeholder must not be redacted again: this is
# what keeps "password: [secret]" stable on a second pass.
_PLACEHOLDER_AHEAD = r"(?!\[(?:" + "|".join(KINDS) + r")\](?!\w))"

_HAS_DIGIT = _lazy(r"[0-9]")


def _label(*alternatives: str) -> str:
    """Case-insensitive label alternation, laid out for a fast scan.

    A pattern that starts with ``(?<!...)(?i:...)`` makes re test every
    position of the text.  Starting with a plain class of the labels' first
    characters (both cases) lets it jump to candidates; each alternative
    then re-checks its own first character with a look-behind.  The label
    must not continue a word.  Each alternative starts with a literal
    character.
    """
    firsts = {a[0] for a in alternatives}
    chars = "".join(sorted({c.lower() for c in firsts} | {c.upper() for c in firsts}))
    body = "|".join(f"(?<={re.escape(a[0])}){a[1:]}" for a in alternatives)
    return f"[{chars}](?<![A-Za-z0-9].)(?i:{body})"


# ---------------------------------------------------------------------------
# secrets
# ---------------------------------------------------------------------------

# Tokens whose vendor prefix alone identifies them as credentials.
_PREFIXED_SECRET_RE = _lazy(
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

_PRIVATE_KEY_RE = _lazy(
    r"-----BEGIN[A-Z ]{0,40} PRIVATE KEY-----[\s\S]{0,20000}?-----END[A-Z ]{0,40} PRIVATE KEY-----"
)

# user:password@host inside a URL: only the password part is replaced.
_URL_CREDENTIALS_RE = _lazy(r"(?<=://)(?P<user>[^\s:/@\[\]]{1,64}):(?P<pw>[^\s/@\[\]]{1,128})@")

# "password: hunter2", "pwd=abc", "my password is hunter2", "PIN: 1234".
_PASSWORD_RE = _lazy(
    r"(?P<label>"
    + _label(
        r"pass[ ]code", r"pass(?:word|wd|phrase|code|wort)?", r"pwd", r"pw", r"kennwort", r"wachtwoord", r"mot[ ]de[ ]passe",
        r"contrase(?:ñ|n)a", r"senha", r"pin(?:[ ]?code)?", r"cvv2?", r"cvc2?",
        r"security[ ]code", r"otp", r"one[- ]time[ ](?:code|password)", r"verification[ ]code",
        r"2fa[ ]code", r"recovery[ ]code",
    )
    + r")"
    r"(?P<sep>[ \t]*[:=][ \t]*|[ \t]+(?i:is|was|ist|war|es|era|est|était|é|è|era|zijn|is)(?:[ \t]*:)?[ \t]+|[ \t]+)"
    + _PLACEHOLDER_AHEAD
    + r"(?P<value>\"[^\"\n]{1,200}\"|'[^'\n]{1,200}'|\S+)"
)

# Words that follow "password is" in ordinary prose ("my password is not
# working"); with these the sentence talks *about* the password.
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

# "api key: ...", "token=...", "Bearer ...": random-looking value after a label.
_TOKEN_RE = _lazy(
    r"(?P<label>"
    + _label(
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


_PASSWORD_WORDS = frozenset((
    "password", "passwd", "passphrase", "pwd", "pw", "pass", "passwort", "kennwort", "wachtwoord", "mot de passe", "contraseña",
    "contrasena", "senha",
))
_ENGLISH_WORDS = frozenset(("password", "passwd", "passphrase", "pwd"))  # "is" after these is English
# Words after a code's number that make it a rule, not a code ("the code is 6 digits", "4 dígitos").
_UNIT_AFTER = _lazy(
    r"[ \t]*(?:-[ \t]*)?(?i:digits?|characters?|chars?|letters?|numbers?|symbols?|long|or[ \t]+more"
    r"|stellig|stellen|zeichen|ziffern|tage|monate|tekens?|cijfers?|dagen|maanden|dígitos|digitos|caracteres|chiffres"
    r"|caractères|cifre|caratteri|días|dias|jours|giorni)\b"
)
# Words after "password:" that start a rule, not a password ("Password: at least 12 characters").
_RULE_WORDS = frozenset(("at", "min", "minimum", "max", "maximum", "must", "should", "needs", "need", "required", "optional"))
# "pass" and "pw" are ordinary words too ("Boarding pass: LH1234", "Servo PW: 1500us", "Tests
# pass: 120/120"): they count only in credentials ("user jsmith pw: hunter2").
_SHORT_LABELS = frozenset(("pass", "pw"))
_CREDENTIALS_BEFORE = _lazy(r"(?i:\b(?:user(?:name)?|login|creds?|credentials|account|e-?mail)\b)")
# Values after "=" that are code, not a password ("password = None", "pass = checkInput(form);").
_CODE_VALUES = frozenset(("none", "null", "nil", "true", "false", "undefined", "''", '""', "getpass()", "input()"))


def _password_like(value: str) -> bool:
    """Letters and digits, six characters or more: "Welcome2026!", "Geheim123", not "12" or "2024"."""
    return len(value) >= 6 and _HAS_DIGIT.search(value) is not None and any(c.isalpha() for c in value)


def _code_like(label: str, value: str) -> bool:
    """A PIN of four digits or more, a CVV of three, another code with a digit ("K7P2Q9")."""
    digits = sum(c.isdigit() for c in value)
    low = label.lower()
    need = 4 if low.startswith("pin") else 3 if low[:2] == "cv" else 1
    return len(value) >= 3 and value.replace("-", "").isalnum() and digits >= need


def _password_repl(m: re.Match[str]) -> str | None:
    """Keep the label, replace the value up to whitespace.

    What counts depends on the label and on what joins it to the value: after ":" or "=" nearly
    anything is the secret; after "is" (in English, after an English label) anything but prose;
    after another language's "is", or with no joining word, only a value that looks like a
    password (or, after "PIN" and the like, a code).
    """
    label, sep, value = m.group("label"), m.group("sep"), m.group("value")
    low = label.lower()
    rest = ""
    bare = value.rstrip(".,;:)")
    number, dash, unit = bare.partition("-")
    if number.isdigit() and (_UNIT_AFTER.match(unit) if dash else _UNIT_AFTER.match(m.string, m.end())):
        return None  # "the 2FA code is 6 digits", "Die PIN ist 4-stellig", "90 Tage gültig"
    explicit = bool({":", "="} & set(sep))
    joining = sep.strip(" \t:=").lower()
    code_label = low not in _PASSWORD_WORDS
    if low in _SHORT_LABELS and not (explicit and _password_like(bare) and _CREDENTIALS_BEFORE.search(m.string, max(0, m.start() - 60), m.start())):
        return None
    if "=" in sep and ("(" in value or value.lower().rstrip(";,") in _CODE_VALUES or sep.strip().startswith("==")):
        return None
    if not explicit:
        if code_label:
            if not _code_like(label, bare):
                return None
        elif not joining:  # "the temporary password Welcome2026!", not "password reset"
            if not _password_like(bare):
                return None
        elif not (joining in ("is", "was") and low in _ENGLISH_WORDS) and not _password_like(bare):
            return None  # "Het wachtwoord is verlopen", "Mein Passwort ist falsch"
    if value[0] not in "\"'":
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
    return f"{label}{sep}{_ph('secret')}{rest}"


def _token_repl(m: re.Match[str]) -> str | None:
    """Keep the label; redact only if the value looks machine-generated."""
    sep, value = m.group("sep"), m.group("value")
    explicit = ":" in sep or "=" in sep
    trimmed = value.rstrip(".,")
    tail = value[len(trimmed):]
    if not _looks_random(trimmed, 12 if explicit else 16):
        return None
    q = m.group("q")
    return f"{m.group('label')}{sep}{q}{_ph('secret')}{q}{tail}"


# ---------------------------------------------------------------------------
# e-mail
# ---------------------------------------------------------------------------

_EMAIL_RE = _lazy(
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


def _email_repl(m: re.Match[str]) -> str | None:
    return None if m.group(0).rsplit(".", 1)[-1].lower() in _FILE_TYPES else _ph("email")


# ---------------------------------------------------------------------------
# IBAN
# ---------------------------------------------------------------------------

_IBAN_GATE = _lazy(r"[0-9](?<=(?<![\w])[A-Za-z]{2}[0-9])[0-9](?:[ ]?[A-Za-z0-9]){11}")
# Country code, check digits, then space-separated groups; a group after the
# first must be upper case or hold a digit, so following prose ("... 00 for
# the refund") is not swallowed into the candidate.
_IBAN_RE = _lazy(
    r"(?<![\w])[A-Za-z]{2}[0-9]{2}[A-Za-z0-9]{0,30}"
    r"(?:[ ](?:[A-Z0-9]{1,30}|[A-Za-z]{0,30}[0-9][A-Za-z0-9]{0,30})(?![\w])){0,10}"
)
_GROUP_RE = _lazy(r"\S+")


def _iban_ok(compact: str) -> bool:
    """ISO 13616 mod-97 check; rejects random letter/digit runs."""
    if not 15 <= len(compact) <= 34 or not compact[:2].isalpha() or not compact[2:4].isdigit():
        return False
    remainder = 0
    for ch in compact[4:] + compact[:4]:
        value = int(ch, 36)  # "0"-"9" -> 0-9, "A"-"Z" -> 10-35
        remainder = (remainder * (100 if value > 9 else 10) + value) % 97
    return remainder == 1


def _iban_repl(m: re.Match[str]) -> str | None:
    """Longest space-grouped prefix that is a valid IBAN; keep what follows."""
    s = m.group(0)
    groups = [(g.start(), g.end()) for g in _GROUP_RE.finditer(s)]
    for j in range(len(groups) - 1, -1, -1):
        end = groups[j][1]
        compact = s[:end].replace(" ", "").upper()
        if len(compact) > 34:
            continue
        if len(compact) < 15:
            break
        if _iban_ok(compact):
            return _ph("iban") + s[end:]
    return None


# ---------------------------------------------------------------------------
# payment cards
# ---------------------------------------------------------------------------

# A run of digit groups joined by single spaces or dashes, 13+ digits in all.
# The card is then chosen inside the run (see _card_repl).  Like most
# patterns here it starts with a plain character class and checks the
# character before it with a look-behind placed *after* it: re can then skip
# straight to digits instead of testing a look-behind at every position
# (3-4x faster).
_DIGIT_RUN_RE = _lazy(
    r"[0-9](?<![\w.,/+-][0-9])(?=[0-9]{0,18}(?:[ -]?[0-9]){12})"
    r"[0-9]*(?:[ -][0-9]+){0,30}(?![\w]|[.,][0-9])"
)
_DIGITS_RE = _lazy(r"[0-9]+")
# 4111.1111.1111.1111: four groups of four joined by dots (never a price, a version or an IP)
_DOTTED_CARD_RE = _lazy(r"(?<![\w.])[3-6][0-9]{3}(?:\.[0-9]{4}){3}(?![\w]|\.[0-9])")


def _dotted_card_repl(m: re.Match[str]) -> str | None:
    digits = m.group(0).replace(".", "")
    return _ph("card") if len(set(digits)) > 1 and _luhn_ok(digits) else None


def _luhn_ok(digits: str) -> bool:
    """Luhn checksum; a 13-19 digit number failing it is not a card."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _card_repl(m: re.Match[str]) -> str | None:
    """Replace every Luhn-valid, card-shaped window inside a digit run.

    A window is one block of 13-19 digits, or groups joined by one repeated
    separator: a 4-digit first group, 4-6 digit middle groups and a 1-6
    digit last group (4-4-4-4, 4-6-5, 4-4-4-4-3 ...).  At each group the
    longest valid window wins; the loops stop early, so a long run of short
    groups ("1 1 1 1 ...") costs linear time.
    """
    s = m.group(0)
    spans = [(g.start(), g.end()) for g in _DIGITS_RE.finditer(s)]
    n = len(spans)
    out: list[str] = []
    pos = 0
    i = 0
    while i < n:
        first_len = spans[i][1] - spans[i][0]
        best = -1
        if 13 <= first_len <= 19:
            digits = s[spans[i][0]:spans[i][1]]
            if len(set(digits)) > 1 and _luhn_ok(digits):
                best = i
        elif first_len == 4:
            sep = s[spans[i][1]:spans[i + 1][0]] if i + 1 < n else ""
            count = 4
            for j in range(i + 1, n):
                if s[spans[j - 1][1]:spans[j][0]] != sep:
                    break  # mixed separators: not one card
                if j - 1 > i and not 4 <= spans[j - 1][1] - spans[j - 1][0] <= 6:
                    break  # a middle group of the wrong size
                length = spans[j][1] - spans[j][0]
                count += length
                if count > 19:
                    break
                if count >= 13 and length <= 6:
                    digits = "".join(s[b:e] for b, e in spans[i:j + 1])
                    if len(set(digits)) > 1 and _luhn_ok(digits):
                        best = j
        if best >= 0:
            out.append(s[pos:spans[i][0]])
            out.append(_ph("card"))
            pos = spans[best][1]
            i = best + 1
        else:
            i += 1
    if not out:
        return None
    out.append(s[pos:])
    return "".join(out)


# ---------------------------------------------------------------------------
# national ids
# ---------------------------------------------------------------------------

# After a label: "SSN: 123 45 6789", "passport number X1234567".
_LABELED_ID_RE = _lazy(
    r"(?P<label>"
    + _label(
        r"ssn", r"social[ ]security(?:[ ](?:number|no\.?|#))?", r"sin", r"social[ ]insurance[ ]number",
        r"nino", r"national[ ]insurance(?:[ ](?:number|no\.?|#))?", r"ni[ ]number",
        r"national[ ]id(?:entity)?(?:[ ](?:card|number|no\.?|#)){0,2}",
        r"id[ ]card(?:[ ](?:number|no\.?|#))?", r"passport(?:[ ](?:number|no\.?|#))?",
        r"driver'?s?[ ]licen[cs]e(?:[ ](?:number|no\.?|#))?", r"tax[ ](?:id|number)", r"aadhaar",
        r"dni", r"nif", r"cpf", r"steuer-?id", r"steuernummer", r"bsn", r"personnummer", r"codice[ ]fiscale",
    )
    + r")"
    r"(?P<sep>[ \t]*[:#=][ \t]*|[ \t]+(?i:is|was|es|ist|é)(?:[ \t]*:)?[ \t]+|[ \t]+)"
    r"(?P<value>[A-Z0-9](?:[A-Z0-9]|[ .-](?=[A-Z0-9])){4,24})(?![A-Za-z0-9])"
)

# US SSN, dashed: 123-45-6789 (area 000/666/9xx and zero groups never issued).
_SSN_RE = _lazy(
    r"[0-8](?<![\w-][0-9])[0-9]{2}(?<!000)(?<!666)-(?!00)[0-9]{2}-(?!0000)[0-9]{4}(?![\w]|-[0-9])"
)

# Cheap test run before the NINO pattern: two capitals right before digits.
_NINO_GATE = _lazy(r"[0-9](?:(?<=[A-Z]{2}[0-9])[0-9]{5}|(?<=[A-Z]{2} [0-9])[0-9] [0-9]{2} [0-9]{2})")

# UK National Insurance number: QQ123456C, QQ 12 34 56 C.  Upper case only.
# Letters D, F, I, U, V (and O second) are never issued; Q is kept because
# HMRC's own example number is QQ123456C and people copy it into tickets.
_NINO_RE = _lazy(
    r"(?<![\w])(?!BG|GB|KN|NK|NT|TN)[A-CEGHJ-TW-Z][A-CEGHJ-NP-TW-Z]"
    r"(?:[0-9]{6}|[ ][0-9]{2}[ ][0-9]{2}[ ][0-9]{2}[ ]?)[A-D](?![\w])"
)


_ID_SPLIT_RE = _lazy(r"([ -])")


def _labeled_id_repl(m: re.Match[str]) -> str | None:
    """Keep the label; drop trailing word groups that carry no digits."""
    value = m.group("value")
    parts = _ID_SPLIT_RE.split(value)
    # parts alternate token, sep, token ...; trim digit-less trailing tokens
    while len(parts) > 1 and not _HAS_DIGIT.search(parts[-1]):
        parts = parts[:-2]
    kept = "".join(parts)
    if sum(c.isdigit() for c in kept) < 5:
        return None
    return f"{m.group('label')}{m.group('sep')}{_ph('national_id')}{value[len(kept):]}"


# ---------------------------------------------------------------------------
# IP addresses
# ---------------------------------------------------------------------------

_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
_IPV4_GATE = _lazy(r"[0-9]\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]")
_IPV4_RE = _lazy(r"(?<![\w.])" + _OCTET + r"(?:\." + _OCTET + r"){3}(?![\w]|\.[0-9])")
_IPV6_RE = _lazy(r"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])")
_IPV6_FULL_RE = _lazy(r"(?<![\w:.])(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}(?![\w:])")
# Words right before a dotted quad that make it a version or section number.
_VERSION_CONTEXT_RE = _lazy(
    r"(?i:\b(?:versions?|ver\.?|v|build|release|firmware|patch|update|sdk|api|app|kernel|driver"
    r"|chrome|firefox|safari|edge|ios|ipados|android|macos|windows|python|node|java|php|ruby|perl"
    r"|section|sections|chapter|clause|article|step|rule|paragraph|para\.?|item|table|figure|fig\.?)|§)"
    r"[ \t]*$"
)


def _ipv4_repl(m: re.Match[str]) -> str | None:
    """Skip four-part version numbers ("version 1.2.3.4", "upgrade from 3.2.1.0 to 3.2.2.0",
    "roll back to 3.2.1.0")."""
    before = m.string[max(0, m.start() - 20):m.start()]
    if _VERSION_CONTEXT_RE.search(before) or _VERSION_VERB_RE.search(m.string[max(0, m.start() - 60):m.start()]):
        return None
    return _ph("ip")


# "upgrade from 3.2.1.0 to 3.2.2.0", "rolled back to 3.2.1.0": a dotted quad right after "from" or
# "to" that follows an install word within two words; not about networks ("updated the DNS to
# 8.8.8.8" keeps its address redacted).
_VERSION_VERB_RE = _lazy(
    r"(?i:\b(?:upgrad|updat|downgrad|roll(?:ed|ing)?[ ]back|rollback|revert|install|reinstall)\w*"
    r"(?:[ ](?:it|the|app|apps|version|firmware|software|client|sdk|agent|plugin|os|cos|back)){0,3}"
    r"[ ](?:from[ ][0-9.]+[ ])?(?:from|to)[ ])$"
)


def _ipv6_repl(m: re.Match[str]) -> str | None:
    """Only full or ::-compressed forms with 3+ colons, validated by stdlib.

    Times ("10:30:15") and C++ scopes are never IPv6 this way.
    """
    s = m.group(0)
    if s.count(":") < 3 or ("::" not in s and s.count(":") != 7):
        return None
    try:
        ipaddress.IPv6Address(s)
    except ValueError:
        return None
    return _ph("ip")


# ---------------------------------------------------------------------------
# phones
# ---------------------------------------------------------------------------

_PHONE_LB = r"(?<![\w+.,/#-].)"  # checked after the first character
_PHONE_RE = _lazy(
    r"(?:\+" + _PHONE_LB + r"[0-9]{1,3}(?:[ .-]?\(?[0-9]{1,4}\)?){2,6}"  # +44 20 7946 0958, +1-555-010-9999
    r"|\(" + _PHONE_LB + r"0?[0-9]{2,4}\)[ .-]?[0-9]{3,4}[ .-]?[0-9]{3,4}"  # (555) 010-9999
    r"|[0-9]" + _PHONE_LB + r"(?:"
    r"(?<=1)[ .-]?\(0?[0-9]{2,4}\)[ .-]?[0-9]{3,4}[ .-]?[0-9]{3,4}"  # 1 (555) 010-9999
    r"|(?:(?<=1)[.-][0-9]{3}|[0-9]{2})(?P<s>[.-])[0-9]{3}(?P=s)[0-9]{4}"  # 555-010-9999, 1-800-555-0199
    r"|[0-9]{2}[ ][0-9]{3}[ ][0-9]{4}"  # 555 010 9999
    r"|(?<=0)0[1-9][0-9]{0,2}(?:[ .-][0-9]{1,8}){1,4}"  # 0031 6 12345678, 0049 171 1234567
    r"|(?<=0)[0-9]{1,4}(?:[ .-][0-9]{2,8}){1,4}"  # 020 7946 0958, 07700 900123, 06 12 34 56 78, 0171 1234567
    r"))(?![\w]|[.,:/-]?[0-9])"
)

_LABELED_PHONE_RE = _lazy(
    r"(?P<label>"
    + _label(
        r"phone", r"tel", r"telephone", r"mobile", r"cell", r"cellphone", r"whatsapp", r"sms",
        r"call[ ]me(?:[ ](?:at|on))?", r"call(?=[ ][0-9])", r"ring[ ]me(?:[ ](?:at|on))?", r"text[ ]me(?:[ ](?:at|on))?",
        r"m[oó]vil", r"tel[eé]fono", r"telefone", r"telem[oó]vel", r"cellulare", r"telefono", r"handy", r"portable",
        r"t[eé]l[eé]phone", r"bel(?=[ ]0)",
    )
    + r"(?:[ ](?i:number|no\.?|#))?)"
    r"(?P<sep>[ \t]*[:=#][ \t]*|[ \t]+(?i:is|was)[ \t]+|[ \t]+)"
    r"(?P<value>[0-9](?:[ .-]?[0-9]){8,14})(?![\w]|[.,][0-9])"
)


def _phone_repl(m: re.Match[str]) -> str | None:
    """A phone number has 9 to 15 digits (E.164 upper bound), does not start with a date, and
    is not a reference number right after "SKU", "order", "invoice", "part"..."""
    n = sum(c.isdigit() for c in m.group(0))
    if not 9 <= n <= 15 or _DATE_START_RE.match(m.group(0)):
        return None
    if _REFERENCE_BEFORE_RE.search(m.string, max(0, m.start() - 24), m.start()):
        return None
    return _ph("phone")


_DATE_START_RE = _lazy(r"(?:[0-9]{1,2}[-./][0-9]{1,2}[-./](?:19|20)[0-9]{2}|(?:19|20)[0-9]{2}[-./][0-9]{1,2}[-./][0-9]{1,2})(?![0-9])")


_REFERENCE_BEFORE_RE = _lazy(
    r"(?i:\b(?:sku|order|invoice|ref(?:erence)?|item|part|model|serial|tracking|ticket|po|lot|batch)"
    r"(?:[ ](?:number|no\.?|nr\.?))?[ \t]*#?[ \t]*)$"
)


def _labeled_phone_repl(m: re.Match[str]) -> str | None:
    """Keep the label, replace the number after it (not a date: "call 2024-03-15 14:00")."""
    if _DATE_START_RE.match(m.group("value")):
        return None
    return f"{m.group('label')}{m.group('sep')}{_ph('phone')}"


# ---------------------------------------------------------------------------
# street addresses
# ---------------------------------------------------------------------------

# One pass for the two number-first orders (a shared first character keeps
# it to a single scan of the text):
# English: number, capitalised name words, street suffix ("221B Baker Street").
_EN_ADDRESS = (
    r"[0-9]{0,4}[A-Za-z]?"
    r"(?:[ \t]{1,3}(?:[A-Z][\w'’.-]{0,30}|[0-9]{1,3}(?:st|nd|rd|th))){1,4}"
    r"[ \t]{1,3}(?i:street|st|avenue|ave|road|rd|boulevard|blvd|lane|ln|drive|dr|court|ct|place|pl"
    r"|square|sq|terrace|way|parkway|pkwy|highway|hwy|close|crescent|gardens|mews|circle|cir"
    r"|trail|alley|plaza)\b\.?"
    r"(?:[ \t](?:N|S|E|W|NE|NW|SE|SW)\b\.?)?"
    r"(?:,?[ \t](?i:apt|apartment|suite|ste|unit|flat)\.?[ \t]?#?[A-Za-z0-9-]{1,6}\b)?"
)
# Romance languages: number, street type, particles, capitalised name
# ("12 rue de la Paix").  "Place", "Route", "Avenue"... are also English
# title-case UI words ("Step 2 Place Order"), so those types count only in
# lower case ("12 avenue Foch") or when a particle follows ("2 Place de la
# Concorde").
_PARTICLES = r"(?:(?i:de|du|des|la|le|les|del|della|di|do|da|das|dos)[ \t]{1,3}|(?i:l|d)['’])"
_ROMANCE_ADDRESS = (
    r"[0-9]{0,3}(?:[ ]?(?i:bis|ter))?,?[ \t]{1,3}"
    r"(?:(?:(?i:rue|allée|allee|impasse|chemin|quai|calle|avenida|paseo|piazza|corso|viale|bd)"
    r"|avenue|av\.|boulevard|place|route|cours|plaza)[ \t]{1,3}" + _PARTICLES + r"*"
    r"|(?:Avenue|Boulevard|Place|Route|Cours|Plaza)[ \t]{1,3}" + _PARTICLES + r"+)"
    r"[A-ZÀ-ÖØ-Þ][\w'’-]{0,30}(?:[ \t][A-ZÀ-ÖØ-Þ][\w'’-]{0,30}){0,2}"
)
_NUMBER_FIRST_ADDRESS_RE = _lazy(
    r"[0-9](?<![\w.,/-][0-9])(?=[0-9]{0,4}(?:[A-Za-z]|(?i:bis|ter))?,?[ \t])"
    r"(?:(?P<en>" + _EN_ADDRESS + r")|" + _ROMANCE_ADDRESS + r")"
)

# German and Dutch order: name+suffix, number ("Hauptstraße 5", "Berliner Str. 12a",
# "Kerkstraat 12"); Spanish, Italian and Portuguese street types before the name ("Calle de
# Alcalá 42", "Via Roma 10", "Rua Augusta 100"; "Via" only capitalised: "via Stripe 10 times").
_DE_ADDRESS_RE = _lazy(
    r"(?<![\w])(?:[A-ZÄÖÜ][a-zäöüß-]{1,30}(?:straße|strasse|str\.|weg|gasse|platz|allee|damm)"
    r"|[A-ZÄÖÜ][\w-]{1,30}[ \t](?:Straße|Strasse|Str\.|Weg|Gasse|Platz|Allee|Damm))"
    r"[ \t]{1,3}[0-9]{1,4}[a-z]?(?![\w])"
)
# Where a name-first street's number must end for it to be an address: street names borrowed
# by products ("Calle Ocho Festival 2024 sale", "Via Chrome 120, the page", "Blockade 2 is the
# sequel", "Museumplein 2024 events") go on in other words.
_STREET_END = (
    r"(?=[ \t]*(?:$|,[ \t]*[A-ZÀ-ÖØ-Þ0-9]|[ \t]*[-–][ \t]*[0-9]{4,5}\b|[ \t]+[0-9]{4}[ ]?[A-Z]{2}\b|[ \t]+[0-9]{5}\b"
    r"|[-/][0-9A-Za-z]{1,3}\b|[ \t]+(?:da|dal|de|del|desde|en|em|na|no|há|hace|int\.|scala|piano|interno|piso|planta"
    r"|bajo|esq|dto|hs|huis|bis)\b))"
)
# Spanish, Italian and Portuguese street types before the name ("Calle de Alcalá 42", "Via Roma
# 10", "Rua Augusta 100"); Dutch names with their suffix ("Kerkstraat 12").
_NAME_FIRST_ADDRESS_RE = _lazy(
    r"(?<![\w])(?:(?:(?i:calle|avenida|paseo|rua|travessa|viale|piazza)|Via|Corso|Largo)[ \t]{1,3}" + _PARTICLES + r"*"
    r"[A-ZÀ-ÖØ-Þ][\w'’-]{1,30}(?:[ \t][A-ZÀ-ÖØ-Þ][\w'’-]{1,30}){0,2},?"
    r"|[A-Z][a-z]{2,30}(?:straat|laan|plein|gracht|kade|dijk|singel))"
    r"[ \t]{1,3}[0-9]{1,4}[a-z]?(?![\w])" + _STREET_END
)
# Spanish NIE by its shape (X1234567L); "nie" is also German for "never".
_NIE_RE = _lazy(r"(?<![\w])[XYZ]-?[0-9]{7}-?[A-Z](?![\w])")


# Capitalised words before "Drive"/"Way"... that name products, not streets.
_NOT_STREET_WORDS = frozenset(
    "google one hard usb flash disk network shared external team cloud solid state "
    "the my our your a an step chapter part page section version".split()
)


def _address_repl(m: re.Match[str]) -> str | None:
    """Veto "5 Google Drive"-style product names in the English order."""
    if m.group("en") is not None:
        words = {w.lower().strip(".'’") for w in m.group(0).split()[1:]}
        if words & _NOT_STREET_WORDS:
            return None
    return _ph("address")


_PO_BOX_RE = _lazy(r"(?<![\w])(?i:P\.?[ ]?O\.?[ ]?Box)[ \t]{1,3}[0-9]{1,6}(?![\w])")

# ---------------------------------------------------------------------------
# pipeline
# ---------------------------------------------------------------------------

_Repl = Callable[[re.Match[str]], "str | None"] | None

# Gates are cheap pre-tests that let a detector be skipped on most text.
# Hint words: the detector runs only if one of them occurs in the lower-cased
# text.  All hints are found by one regex pass (longest first, so "passport"
# is not hidden behind "pass").
_SECRET_PREFIXES = frozenset((
    "_live_", "_test_", "sk-", "whsec_", "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "glpat-",
    "akia", "asia", "agpa", "aida", "aroa", "anpa", "xox", "aiza", "npm_", "sg.", "eyj",
))
_PASSWORD_HINTS = frozenset((
    "pass", "pwd", "pw", "kennwort", "wachtwoord", "contrase", "senha", "pin", "cvv", "cvc", "code", "otp",
))
_TOKEN_HINTS = frozenset(("key", "token", "bearer", "secret"))
_ID_HINTS = frozenset((
    "ssn", "social", "sin", "nino", "insurance", "ni number", "national", "id card", "passport",
    "licen", "tax", "aadhaar", "dni", "nif", "cpf", "steuer", "bsn", "personnummer", "fiscale",
))
_PHONE_HINTS = frozenset((
    "phone", "tel", "mobile", "cell", "whatsapp", "sms", "call", "ring me", "text me", "movil", "móvil", "handy",
    "portable", "bel 0",
))
_DE_STREET_HINTS = frozenset(("stra", "str.", "weg", "gasse", "platz", "allee", "damm"))
_NAME_FIRST_HINTS = frozenset((
    "straat", "laan", "plein", "gracht", "kade", "dijk", "singel", "calle", "avenida", "paseo", "rua ", "travessa", "via ", "viale",
    "corso", "piazza", "largo",
))
_OTHER_HINTS = frozenset(("private key", "://", "@", "%40", "box", "::"))


_Trie = dict[str, "_Trie"]


def _trie_pattern(words: frozenset[str]) -> str:
    """Regex matching any of ``words``, factored as a prefix tree.

    re tries alternatives one by one at each position; sharing prefixes
    makes the hint scan about 2.5x faster than a flat alternation.  Longer
    words win over their prefixes ("passport" over "pass").
    """
    trie: _Trie = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: _Trie) -> str:
        alts = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch]
        if not alts:
            return ""
        if len(alts) == 1 and "" not in node:
            return alts[0]
        return "(?:" + "|".join(alts) + ")" + ("?" if "" in node else "")

    return build(trie)


_HINT_RE = _lazy(
    _trie_pattern(
        _SECRET_PREFIXES | _PASSWORD_HINTS | _TOKEN_HINTS | _ID_HINTS | _PHONE_HINTS
        | _DE_STREET_HINTS | _NAME_FIRST_HINTS | _OTHER_HINTS
    )
)

# What a detector needs before it is worth running: nothing, a digit, or a
# "long number" (9+ digits joined only by phone/card separators; every card,
# SSN and phone number has one, most dates, prices and order numbers don't).
_ANY, _DIGIT, _LONG_NUMBER = 0, 1, 2
_LONG_NUMBER_RE = _lazy(r"[0-9](?:[ ().+-]{0,3}[0-9]){8}")

# (kind, pattern, replacement, hint words or None, gate or None, needs).
# A gate is a cheap test on the text; a falsy result skips the detector.
# Replacement None means the whole match becomes the placeholder; a callable
# may return None to veto a match.  The order is the precedence described in
# the module docstring.
_Detector = tuple[str, re.Pattern[str], _Repl, frozenset[str] | None, Callable[[str], object] | None, int]
def _digits(text: str) -> int:
    """How many ASCII digits TEXT has: a string scan that spares compiling a gate's pattern."""
    return sum(map(text.count, "0123456789"))


_DETECTORS: tuple[_Detector, ...] = (
    ("secret", _PRIVATE_KEY_RE, None, frozenset(("private key",)), None, _ANY),
    ("secret", _PREFIXED_SECRET_RE, None, _SECRET_PREFIXES, None, _ANY),
    ("secret", _URL_CREDENTIALS_RE, lambda m: f"{m.group('user')}:{_ph('secret')}@", frozenset(("://",)), None, _ANY),
    ("secret", _PASSWORD_RE, _password_repl, _PASSWORD_HINTS, None, _ANY),
    ("secret", _TOKEN_RE, _token_repl, _TOKEN_HINTS, None, _ANY),
    ("email", _EMAIL_RE, _email_repl, frozenset(("@", "%40")), None, _ANY),
    ("iban", _IBAN_RE, _iban_repl, None, lambda t: _digits(t) >= 8 and _IBAN_GATE.search(t), _DIGIT),
    ("card", _DIGIT_RUN_RE, _card_repl, None, None, _LONG_NUMBER),
    ("card", _DOTTED_CARD_RE, _dotted_card_repl, None, lambda t: t.count(".") >= 3, _DIGIT),
    ("national_id", _SSN_RE, None, None, None, _LONG_NUMBER),
    ("national_id", _NIE_RE, None, None, lambda t: _digits(t) >= 7, _DIGIT),
    ("national_id", _NINO_RE, None, None, lambda t: _digits(t) >= 6 and _NINO_GATE.search(t), _DIGIT),
    ("national_id", _LABELED_ID_RE, _labeled_id_repl, _ID_HINTS, None, _DIGIT),
    ("ip", _IPV4_RE, _ipv4_repl, None, lambda t: t.count(".") >= 3 and _digits(t) >= 4 and _IPV4_GATE.search(t), _DIGIT),
    ("ip", _IPV6_RE, _ipv6_repl, frozenset(("::",)), None, _ANY),
    ("ip", _IPV6_FULL_RE, _ipv6_repl, None, lambda t: t.count(":") >= 7, _ANY),
    ("phone", _LABELED_PHONE_RE, _labeled_phone_repl, _PHONE_HINTS, None, _LONG_NUMBER),
    ("phone", _PHONE_RE, _phone_repl, None, None, _LONG_NUMBER),
    ("address", _NUMBER_FIRST_ADDRESS_RE, _address_repl, None, None, _DIGIT),
    ("address", _DE_ADDRESS_RE, None, _DE_STREET_HINTS, None, _DIGIT),
    ("address", _NAME_FIRST_ADDRESS_RE, None, _NAME_FIRST_HINTS, None, _DIGIT),
    ("address", _PO_BOX_RE, None, frozenset(("box",)), None, _DIGIT),
)


# A pass that removes something can expose a neighbour it had shielded (in
# "Street+44 20 7946 0958" the "t" hides the phone number until the address
# becomes "[address]").  redact() repeats passes until one finds nothing, so
# its output is a fixed point: redacting it again changes nothing.  Each
# productive pass removes at least one item; the cap is only a safeguard.
_MAX_PASSES = 4


def redact(text: str, public_domains: Iterable[str] = ()) -> Redaction:
    """Replace personal data and secrets in ``text`` with typed placeholders.

    Called on every piece of note text before it is stored or rendered, so
    it must accept any ``str`` (empty, huge, control characters, unicode)
    without raising.  Text that holds nothing sensitive comes back unchanged.
    E-mail addresses at ``public_domains`` (the company's own, such as
    support@ addresses agents give out) are kept.
    """
    if not isinstance(text, str):
        raise TypeError(f"redact() expects str, not {type(text).__name__}")
    keep = tuple(d.lower().lstrip("@.") for d in public_domains if d)
    kinds: set[str] = set()
    for _ in range(_MAX_PASSES):
        found: set[str] = set()
        text = _redact_pass(text, found, keep)
        if not found:
            break
        kinds |= found
    return Redaction(text, tuple(sorted(kinds)))


def _keep_public_email(keep: tuple[str, ...]) -> _Repl:
    def repl(m: re.Match[str]) -> str | None:
        domain = m.group(0).replace("%40", "@").rsplit("@", 1)[-1].lower()
        if any(domain == d or domain.endswith("." + d) for d in keep):
            return m.group(0)
        return _email_repl(m)

    return repl



def _redact_pass(text: str, found: set[str], keep: tuple[str, ...] = ()) -> str:
    """Run every detector once, in precedence order; add fired kinds to ``found``."""
    if not text:
        return text
    # Gates are computed once on the pass's input.  Within a pass, text only
    # loses digits, "@" and labels (a placeholder holds no digit, and a label
    # word inside one is followed by "]", which no label pattern accepts), so
    # the gates stay a superset of what later detectors can see.
    has = _ANY
    if _HAS_DIGIT.search(text) is not None:
        has = _LONG_NUMBER if _LONG_NUMBER_RE.search(text) is not None else _DIGIT
    hints = set(_HINT_RE.findall(text.lower()))
    for kind, pattern, repl, hint_words, gate, needs in _DETECTORS:
        if needs > has:
            continue
        if hint_words is not None and hints.isdisjoint(hint_words):
            continue
        if gate is not None and not gate(text):
            continue
        if kind == "email" and keep:
            before = text
            text = _apply(pattern, text, kind, _keep_public_email(keep), set())
            if text != before:
                found.add(kind)
            continue
        text = _apply(pattern, text, kind, repl, found)
    return text


def _apply(pattern: re.Pattern[str], text: str, kind: str, repl: _Repl, found: set[str]) -> str:
    """Run one detector over ``text``, recording ``kind`` if it fired."""

    def sub(m: re.Match[str]) -> str:
        out = _ph(kind) if repl is None else repl(m)
        if out is None:
            return m.group(0)
        found.add(kind)
        return out

    return pattern.sub(sub, text)
