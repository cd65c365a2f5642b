"""How product names are split into searchable words."""
from __future__ import annotations

import re
import unicodedata

_NON_WORD = re.compile(r"[^0-9a-z]+")


def name_words(text: str) -> list[str]:
    """Distinct lower-case, accent-free words of a name, in order ("Cablu UTP Cat.6" -> cablu, utp, cat, 6)."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    seen: dict[str, None] = {}
    for word in _NON_WORD.split(folded):
        if word:
            seen.setdefault(word, None)
    return list(seen)
