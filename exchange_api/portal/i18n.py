"""The portal's language: the reader's choice, kept in a cookie; Chinese by default."""

from exchange.i18n import DEFAULT, LANGUAGES, translations

COOKIE = "exchange_lang"

__all__ = ["COOKIE", "DEFAULT", "LANGUAGES", "language_of", "translations"]


def language_of(cookie: str | None, query: str | None) -> str:
    for choice in (query, cookie):
        if choice in LANGUAGES:
            return choice
    return DEFAULT
