"""The writing-style check: support articles that are clear, short and free of jargon.

Part of `kbgen check` (warnings; `--strict` fails on them). Each rule reads one article's prose
(its body without code, tables or HTML) and front matter, and says where and why:

- `readability`: Flesch reading ease of the body below `style_min_reading_ease` (60 is plain
  English; 30 reads like a contract). Syllables are counted by vowel groups, the usual
  approximation: a library would add start-up time to every `check` in CI and pre-commit;
- `long-sentence`: a sentence of more than `style_max_sentence_words` words;
- `long-paragraph`: a paragraph of more than `style_max_paragraph_words` words;
- `avoid-word`: a word of `style_avoid_words` (blame words such as "simply", "just",
  "obviously", "easy", and any jargon the team lists);
- `passive-voice`: more than `style_max_passive` of the sentences in the passive voice;
- `long-summary`: a summary of more than `style_max_summary_words` words (it is shown in search
  results and `kbgen ask`: one line);
- `few-questions`: fewer than `style_min_questions` customer phrasings;
- `heading-order`: a heading more than one level below the one before it, or a second title;
- `unnumbered-steps`: two or more bullet points in a row that each tell the reader to act
  ("Click", "Open", "Select"...): steps are done in order, so they are numbered;
- `link-text`: a link whose text does not say where it goes ("click here", "here", "this link").

Every threshold is a plugin option in mkdocs.yml (`kbgen/settings.py`); `style: false` turns the
whole check off.
"""

from __future__ import annotations

import re
from functools import lru_cache
from itertools import chain, product
from typing import Any

from .articles import Article
from .errors import WARNING, Diagnostic

RULES = ("readability", "long-sentence", "long-paragraph", "avoid-word", "passive-voice", "long-summary",
         "few-questions", "heading-order", "unnumbered-steps", "link-text")

_FENCE = re.compile(r"^\s*(```|~~~)")
_HEADING = re.compile(r"^(#{1,6})\s+\S")
_BULLET = re.compile(r"^\s*[-*+]\s+(.*)")
_NUMBERED = re.compile(r"^\s*\d+[.)]\s+")
_LIST_STARTS = frozenset("-*+0123456789")  # what a bullet or a numbered item starts with
_LINK = re.compile(r"(?<!!)\[([^\]]+)\]\(([^)\s]+)[^)]*\)")
_TAG = re.compile(r"<[^>]+>")
_CODE = re.compile(r"`[^`]*`")
# A sentence ends at the spaces after . ! or ? that come before a capital, a digit, a quote or a
# bracket: (?<=[.!?])\s+(?=[A-Z0-9"'(]). A word is [A-Za-z][A-Za-z'’-]*|\d+(?:[.,]\d+)*. Both are
# written here to start with the set of characters a match can start with, which lets the regex
# engine skip to the next such character in C instead of trying every position (`check` reads
# millions of words); tests/test_style.py holds them equal to the plain forms above.
_SENTENCE_END = re.compile(r"\s(?<=[.!?]\s)\s*(?=[A-Z0-9\"'(])")
_WORD = re.compile(r"[A-Za-z\d](?:(?<=[A-Za-z])[A-Za-z'’-]*|(?<=\d)\d*(?:[.,]\d+)*)")
_BE = r"(?:is|are|was|were|be|been|being|am|isn't|aren't|wasn't|weren't)"
_BE_WORDS = frozenset("is are was were be been being am isn't aren't wasn't weren't".split())
# every way of writing them in capitals and small letters ("Is", "WERE"): a sentence's words are
# compared with this set as they are, without lowering each word first
_BE_ANY_CASE = frozenset("".join(letters) for word in _BE_WORDS
                         for letters in product(*((c.lower(), c.upper()) if c.isalpha() else (c,) for c in word)))
_PASSIVE_TEXT = rf"\b{_BE}\s+(?:\w+ly\s+)?(\w+(?:ed|en)|made|sent|kept|set|shown|paid|put|lost|sold|told|held|left)\b"
_PASSIVE = re.compile(_PASSIVE_TEXT, re.I)
_PASSIVE_LOWER = re.compile(_PASSIVE_TEXT)  # for ASCII text in small letters
_NOT_PARTICIPLE = {"open", "even", "often", "listen", "happen", "token", "garden", "hidden", "seven", "eleven",
                   "green", "seen", "broken", "taken", "chosen", "written", "given"}  # adjectives read as states
_ACTIONS = {"click", "open", "select", "choose", "tap", "go", "enter", "type", "press", "sign", "copy", "paste",
            "download", "install", "drag", "drop", "turn", "pick", "check", "add", "remove", "delete", "save", "find",
            "scroll", "follow", "log", "upload", "create", "confirm", "restart", "quit", "run"}
_VAGUE_LINKS = {"here", "click here", "this link", "link", "this", "read more", "more", "this page", "click",
                "go here", "see here", "learn more"}


def check_style(article: Article, settings: dict[str, Any]) -> list[Diagnostic]:
    """The style warnings for one ARTICLE under SETTINGS (the plugin's options, defaults filled in)."""
    found: list[Diagnostic] = []

    def warn(line: int, rule: str, message: str, key: str = "") -> None:
        found.append(Diagnostic(article.rel, line, WARNING, rule, message, key))

    offset = _body_line(article)
    lines = article.body.splitlines()
    _front_matter_rules(article, settings, warn)
    _structure_rules(lines, offset, warn)
    _prose_rules(lines, offset, settings, warn)
    return found


def check_text(text: str, path: str, line: int, settings: dict[str, Any]) -> list[Diagnostic]:
    """The prose rules (sentences, paragraphs, words to avoid, passive voice, readability) for
    TEXT that is not an article, such as a reply template, whose first line is LINE of PATH."""
    found: list[Diagnostic] = []

    def warn(at: int, rule: str, message: str, key: str = "") -> None:
        found.append(Diagnostic(path, at, WARNING, rule, message, key))

    _prose_rules(text.splitlines(), line - 1, settings, warn)
    return found


def _prose_rules(lines: list[str], offset: int, settings: dict[str, Any], warn: Any) -> None:
    paragraphs = _paragraphs(_prose(lines))
    # each sentence's words, read once: every rule below counts from them (the sentence's text is
    # stripped only when a message or the passive-voice rule needs it)
    sentences = [(line, number, piece, words) for number, (line, text) in enumerate(paragraphs)
                 for piece in _SENTENCE_END.split(text) if (words := _WORD.findall(piece))]
    most = settings["style_max_sentence_words"]
    lengths = [0] * len(paragraphs)
    for line, number, piece, words in sentences:
        lengths[number] += len(words)
        if len(words) > most:
            warn(offset + line, "long-sentence", f"a sentence of {len(words)} words (at most "
                 f"{most}): \"{_start(piece.strip())}\"")
    most = settings["style_max_paragraph_words"]
    for number, (line, _text) in enumerate(paragraphs):
        if lengths[number] > most:
            warn(offset + line, "long-paragraph", f"a paragraph of {lengths[number]} words (at most "
                 f"{most}): split it, or make it a list")
    avoid = {w.lower(): w for w in settings["style_avoid_words"]}
    pattern = _avoid_pattern(tuple(avoid))
    lowered = [text.lower() for _, text in paragraphs] if pattern is not None else []
    whole = "\n".join(lowered)  # substring tests first, on the whole article and then a paragraph: most hold none
    for (line, text), lower in zip(paragraphs, lowered) if any(word in whole for word in avoid) else ():
        if not any(word in lower for word in avoid):
            continue
        for word in dict.fromkeys(m.group(0).lower() for m in pattern.finditer(text)):
            warn(offset + line, "avoid-word", f"'{avoid.get(word, word)}' is on the list of words to avoid (style_avoid_words)")
    if sentences:
        # a sentence is looked at for the passive voice only when one of its words is a form of "be"
        passive = [piece.strip() for _, _, piece, words in sentences
                   if not _BE_ANY_CASE.isdisjoint(words) and _is_passive(piece.strip())]
        share = len(passive) / len(sentences)
        if len(passive) >= 2 and share > settings["style_max_passive"]:
            warn(offset + sentences[0][0], "passive-voice", f"{len(passive)} of {len(sentences)} sentences are passive "
                 f"(at most {settings['style_max_passive']:.0%}): say who does what, such as \"{_start(passive[0])}\"")
        count = sum(lengths)
        if count >= 40:  # a score over a few sentences says little
            syllables = sum(map(_SYLLABLES.__getitem__, chain.from_iterable(sentence[3] for sentence in sentences)))
            ease = _flesch(len(sentences), count, syllables)
            if ease < settings["style_min_reading_ease"]:
                warn(offset + 1, "readability", f"reading ease {ease:.0f} (at least {settings['style_min_reading_ease']:g}): "
                     "shorter sentences and everyday words")


def reading_ease(text: str) -> float:
    """Flesch reading ease: 206.835 - 1.015 x words a sentence - 84.6 x syllables a word."""
    return _ease(len(_sentences(text)), _WORD.findall(text))


def _ease(sentences: int, words: list[str]) -> float:
    if not words:
        return 100.0
    return _flesch(sentences, len(words), sum(map(_SYLLABLES.__getitem__, words)))


def _flesch(sentences: int, words: int, syllables: int) -> float:
    return 206.835 - 1.015 * words / max(sentences, 1) - 84.6 * syllables / words


_SUFFIX = re.compile(r"(?:[^laeiouy]es|ed|[^laeiouy]e)$")
_VOWELS = re.compile(r"[aeiouy]{1,2}")


def _syllables(word: str) -> int:
    word = word.lower().strip("'’-")
    if word.isdigit() or len(word) <= 3:
        return 1
    word = _SUFFIX.sub("", word)
    if word.startswith("y"):
        word = word[1:]
    return max(len(_VOWELS.findall(word)), 1)


class _Syllables(dict):  # type: ignore[type-arg]
    """Syllables by word, each word counted once: a dict lookup is what 10,000 articles' millions
    of words can afford (an lru_cache call costs twice as much). Emptied when it grows large."""

    def __missing__(self, word: str) -> int:
        if len(self) >= 65_536:
            self.clear()
        found = self[word] = _syllables(word)
        return found


_SYLLABLES = _Syllables()


@lru_cache(maxsize=16)
def _avoid_pattern(words: tuple[str, ...]) -> re.Pattern[str] | None:
    """One pattern for the whole list, longest first ("of course" before "course")."""
    if not words:
        return None
    alternatives = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    return re.compile(rf"(?<![\w-])(?:{alternatives})(?![\w-])", re.I)


def _is_passive(sentence: str) -> bool:
    if sentence.isascii():  # in small letters, the same matches without ignoring case: twice as fast
        for match in _PASSIVE_LOWER.finditer(sentence.lower()):
            if match.group(1) not in _NOT_PARTICIPLE:
                return True
        return False
    for match in _PASSIVE.finditer(sentence):
        if match.group(1).lower() not in _NOT_PARTICIPLE:
            return True
    return False


def _front_matter_rules(article: Article, settings: dict[str, Any], warn: Any) -> None:
    if not article.is_public:
        return
    words = len(_WORD.findall(article.summary))
    if words > settings["style_max_summary_words"]:
        warn(article.line_of("summary"), "long-summary", f"a summary of {words} words (at most "
             f"{settings['style_max_summary_words']}): it is the one-line answer search results show", "summary")
    if article.questions and len(article.questions) < settings["style_min_questions"]:
        warn(article.line_of("questions"), "few-questions", f"{len(article.questions)} customer phrasing(s) (at least "
             f"{settings['style_min_questions']}): add the words customers use, so search finds the article", "questions")


def _structure_rules(lines: list[str], offset: int, warn: Any) -> None:
    level, fenced, bullets = 1, False, []  # the title is the page's first heading
    for number, line in enumerate(lines, 1):
        stripped = line.lstrip()
        if not stripped:
            continue  # a blank line ends no list and holds nothing
        if stripped[0] in "`~" and _FENCE.match(line):
            fenced = not fenced
            continue
        if fenced:
            continue
        heading = _HEADING.match(line) if line[0] == "#" else None
        if heading:
            depth = len(heading.group(1))
            if depth == 1:
                warn(offset + number, "heading-order", "a second title ('# '): the article's title is its first heading; use '## '")
            elif depth > level + 1:
                warn(offset + number, "heading-order", f"a level-{depth} heading after a level-{level} one: use "
                     f"{'#' * (level + 1)} (screen readers navigate by heading level)")
            level = depth
        bullet = _BULLET.match(line) if stripped[0] in "-*+" else None
        if bullet and not _NUMBERED.match(line):
            item = bullet.group(1).replace("**", "").lstrip()
            # an item that starts with a link points somewhere to go next, not a step to do
            first = "" if item.startswith("[") else (_WORD.findall(item) or [""])[0].lower()
            bullets.append((number, first in _ACTIONS))
        else:
            _steps(bullets, offset, warn)
            bullets = []
        for text, _target in _LINK.findall(line) if "](" in line else ():
            plain = " ".join(_TAG.sub("", text).replace("*", "").replace("_", " ").lower().split()).strip(" .:")
            if plain in _VAGUE_LINKS:
                warn(offset + number, "link-text", f"link text '{text}' does not say where it goes: name the page or the action")
    _steps(bullets, offset, warn)


def _steps(bullets: list[tuple[int, bool]], offset: int, warn: Any) -> None:
    """Warn once for a bulleted list of two or more items that each tell the reader to act."""
    acting = [number for number, action in bullets if action]
    if len(acting) >= 2 and len(acting) == len(bullets):
        warn(offset + acting[0], "unnumbered-steps", f"{len(acting)} steps in a bulleted list: steps are done in order, "
             "so number them (1. 2. 3.)")


def _prose(lines: list[str]) -> list[tuple[int, str]]:
    """The body's lines of running text (numbered from 1): no code, headings, tables, HTML or list markers.

    Each pattern runs only on lines holding the character it starts with: `check` reads every
    line of 10,000 articles, and most lines are plain sentences."""
    kept, fenced = [], False
    for number, line in enumerate(lines, 1):
        if ("`" in line or "~" in line) and _FENCE.match(line):
            fenced = not fenced
            continue
        stripped = line.strip()
        if fenced or (line.startswith("#") and _HEADING.match(line)) or stripped.startswith(("|", "<", "!!!", "???", ">")):
            kept.append((number, ""))
            continue
        text = line
        if stripped[:1] in _LIST_STARTS:
            bullet = _BULLET.match(line)
            if bullet or _NUMBERED.match(line):
                kept.append((number, ""))  # a list item is a paragraph of its own
            text = _NUMBERED.sub("", bullet.group(1) if bullet else line)
        if "](" in text:
            text = _LINK.sub(r"\1", text)
        if "<" in text:
            text = _TAG.sub("", text)
        if "`" in text:
            text = _CODE.sub("it", text)
        if "**" in text or "__" in text:
            text = text.replace("**", "").replace("__", "")
        kept.append((number, text.strip()))
    return kept


def _paragraphs(prose: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """Runs of non-empty prose lines (list items are paragraphs of their own), with their first line."""
    found: list[tuple[int, str]] = []
    start, parts = 0, []
    for number, text in prose:
        if text and parts:
            parts.append(text)
        elif text:
            start, parts = number, [text]
        else:
            if parts:
                found.append((start, " ".join(parts)))
            parts = []
    if parts:
        found.append((start, " ".join(parts)))
    return found


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text) if _WORD.search(s)]


def _start(sentence: str, words: int = 8) -> str:
    found = sentence.split()
    return " ".join(found[:words]) + (" ..." if len(found) > words else "")


def _body_line(article: Article) -> int:
    """The file line just above the body's first line (front matter and its fences)."""
    return article.body_line - 1
