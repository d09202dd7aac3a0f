"""Pure-Python BERT-uncased tokeniser for vocab.txt: the same ids as the `tokenizers` library with
tokenizer.json (BertNormalizer + BertPreTokenizer + WordPiece + [CLS]/[SEP], truncation at MAX_SEQ_LENGTH).

Checked identical on the 23,850 CLINC150 questions, the 43 reference texts and 2,000 random Unicode
strings (reference/check_wordpiece.py). Code points that are unassigned in one Unicode version and
assigned in the other are the only known source of difference.
"""

import re
import unicodedata

_ASCII_WORDS = re.compile(r"[a-z0-9]+|[^a-z0-9\s]")  # after lower-casing: words, or one punctuation mark
_ASCII_CTRL = dict.fromkeys([*range(32), 127])  # control characters are dropped...
for _c in "\t\n\r":
    del _ASCII_CTRL[ord(_c)]  # ...except these, which are whitespace
_CTRL = ("Cc", "Cf", "Co", "Cs")  # not Cn: tokenizers keeps unassigned code points
_SPECIAL = re.compile(r"(\[(?:UNK|CLS|SEP|PAD|MASK)\])")  # matched in the raw text, as tokenizers does


def _is_cjk(cp):
    return (0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0x20000 <= cp <= 0x2A6DF or 0x2A700 <= cp <= 0x2B73F
            or 0x2B740 <= cp <= 0x2B81F or 0x2B820 <= cp <= 0x2CEAF or 0xF900 <= cp <= 0xFAFF or 0x2F800 <= cp <= 0x2FA1F)


def _is_punct(c):
    cp = ord(c)
    return 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126 or unicodedata.category(c)[0] == "P"


class WordPiece:
    def __init__(self, vocab_path, max_len=256):
        with open(vocab_path, encoding="utf-8") as f:
            words = f.read().rstrip("\n").split("\n")
        self.vocab = dict(zip(words, range(len(words))))
        self.max_len, self.cache = max_len, {}
        self.unk, self.cls, self.sep = self.vocab["[UNK]"], self.vocab["[CLS]"], self.vocab["[SEP]"]

    def _words(self, text):
        if text.isascii():
            return _ASCII_WORDS.findall(text.translate(_ASCII_CTRL).lower())
        out = []
        for c in text:  # clean_text and handle_chinese_chars
            cp = ord(c)
            if cp == 0 or cp == 0xFFFD or (unicodedata.category(c) in _CTRL and c not in "\t\n\r"):
                continue
            out.append(" " if c.isspace() else f" {c} " if _is_cjk(cp) else c)
        # strip accents, then lower-case character by character (no final-sigma rule, like Rust)
        text = "".join(c for c in unicodedata.normalize("NFD", "".join(out)) if unicodedata.category(c) != "Mn")
        words = []
        for w in "".join(map(str.lower, text)).split():
            start = 0
            for i, c in enumerate(w):
                if _is_punct(c):
                    if i > start:
                        words.append(w[start:i])
                    words.append(c)
                    start = i + 1
            if start < len(w):
                words.append(w[start:])
        return words

    def _pieces(self, word):
        ids = self.cache.get(word)
        if ids is None:
            ids, start, n = [], 0, len(word)
            if n > 100:  # longer than 100 characters: the word is [UNK]
                ids, start = [self.unk], n
            while start < n:  # greedy longest match first
                end = n
                while end > start and (word[start:end] if start == 0 else "##" + word[start:end]) not in self.vocab:
                    end -= 1
                if end == start:  # no piece fits: the whole word is [UNK]
                    ids = [self.unk]
                    break
                ids.append(self.vocab[word[start:end] if start == 0 else "##" + word[start:end]])
                start = end
            if len(self.cache) < 200_000:
                self.cache[word] = ids
        return ids

    def encode(self, text):
        """[CLS] + word-piece ids + [SEP], at most max_len ids in all."""
        ids = [self.cls]
        for k, part in enumerate(_SPECIAL.split(text) if "[" in text else (text,)):
            for w in [part] if k % 2 else self._words(part):
                ids.extend([self.vocab[w]] if k % 2 else self._pieces(w))
            if len(ids) >= self.max_len - 1:
                break
        return ids[: self.max_len - 1] + [self.sep]
