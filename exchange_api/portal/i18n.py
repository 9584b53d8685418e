"""The portal speaks Chinese by default and English on request.

Message catalogs are gettext ``.po`` files under ``locales/``, read with Babel at start-up (no
compile step to forget). Message ids are the English text, so English needs no catalog.
"""

import io
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LOCALES = Path(__file__).parent / "locales"
LANGUAGES = {"zh": "zh_CN", "en": "en"}
DEFAULT = "zh"
COOKIE = "exchange_lang"


@cache
def translations(language: str) -> NullTranslations:
    locale = LANGUAGES.get(language, LANGUAGES[DEFAULT])
    catalog_file = LOCALES / locale / "LC_MESSAGES" / "messages.po"
    if not catalog_file.exists():
        return NullTranslations()
    with catalog_file.open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled)


def language_of(cookie: str | None, query: str | None) -> str:
    for choice in (query, cookie):
        if choice in LANGUAGES:
            return choice
    return DEFAULT
