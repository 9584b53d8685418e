"""A suggested identifier for a data item from its Chinese name (企业名称 → qi_ye_ming_cheng), so a
registrar who is not a programmer need not invent one; they may always write their own."""

import re

from pypinyin import Style, lazy_pinyin

from catalog.validation import ITEM_NAME

_NOT_ALLOWED = re.compile(r"[^a-z0-9]+")
MAX_LENGTH = 64


def suggested_identifier(label: str) -> str:
    """The item's name in pinyin, syllables joined by ``_``; "" when nothing usable is left."""
    syllables = [_NOT_ALLOWED.sub("", s.lower()) for s in lazy_pinyin(label, style=Style.NORMAL)]
    words = "_".join(s for s in syllables if s)[:MAX_LENGTH].strip("_")
    if words and not words[0].isalpha():
        words = ("item_" + words)[:MAX_LENGTH].strip("_")
    return words if ITEM_NAME.match(words) else ""
