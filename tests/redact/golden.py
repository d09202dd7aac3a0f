"""The golden cases of kbgen.redact: tests/redact/cases/<kind>.txt, one file a kind.

Each file documents the format at its top: "< input" and "> expected" lines make a case,
"= text" is a false positive (must come back unchanged). The kinds a case must report are the
placeholders its expected text adds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

CASES_DIR = Path(__file__).parent / "cases"
_PLACEHOLDER = re.compile(r"\[([a-z_]+)\]")


@dataclass(frozen=True)
class Case:
    kind: str  # the file's kind
    where: str  # "phone.txt:12", for test ids and messages
    text: str
    expected: str

    @property
    def kinds(self) -> tuple[str, ...]:
        """The kinds the expected text adds placeholders for, sorted."""
        before, after = _PLACEHOLDER.findall(self.text), _PLACEHOLDER.findall(self.expected)
        return tuple(sorted({k for k in after if after.count(k) > before.count(k)}))

    @property
    def false_positive(self) -> bool:
        return self.text == self.expected


def parse(path: Path) -> list[Case]:
    """The cases of one file; ValueError names the line of anything malformed."""
    kind = path.stem
    cases: list[Case] = []
    inputs: list[str] = []
    outputs: list[str] = []
    start = 0

    def close(lineno: int) -> None:
        nonlocal inputs, outputs
        if inputs and not outputs:
            raise ValueError(f"{path.name}:{start}: an input without its '> ' line")
        if inputs:
            cases.append(Case(kind, f"{path.name}:{start}", "\n".join(inputs), "\n".join(outputs)))
        inputs, outputs = [], []

    lines = path.read_text(encoding="utf-8").split("\n")
    for lineno, line in enumerate(lines, 1):
        line = line.removesuffix("\r")
        marker, text = line[:2], line[2:]
        if marker == "< " or line == "<":
            if outputs:
                close(lineno)
            if not inputs:
                start = lineno
            inputs.append(text)
        elif marker == "> " or line == ">":
            if not inputs:
                raise ValueError(f"{path.name}:{lineno}: '> ' with no '< ' line before it")
            outputs.append(text)
        elif marker == "= ":
            close(lineno)
            cases.append(Case(kind, f"{path.name}:{lineno}", text, text))
        elif not line.strip() or line.startswith("#"):
            close(lineno)
        else:
            raise ValueError(f"{path.name}:{lineno}: a line must start with '< ', '> ', '= ' or '#'")
    close(len(lines))
    return cases


def load() -> list[Case]:
    """Every case of every file, file by file in name order."""
    return [case for path in sorted(CASES_DIR.glob("*.txt")) for case in parse(path)]


CASES = load()
#: (input, expected text, expected kinds) of every case that removes something
POSITIVE = [(c.text, c.expected, c.kinds) for c in CASES if not c.false_positive]
#: inputs that must come back unchanged
FALSE_POSITIVES = [c.text for c in CASES if c.false_positive]
