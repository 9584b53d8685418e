"""Messages in the reader's language: Chinese by default, English on request.

Message catalogs are gettext ``.po`` files under ``locales/``, read with Babel when first needed
(no compile step to forget). Message ids are English, so English needs no catalog. A message
with values is a :class:`Message`: an English template with named parameters (``"no source
{source}"``), translated as a whole and filled in afterwards, so a translator sees the sentence
and may move the values where the language wants them. Codes stay stable for programs; only the
words change with the reader.
"""

import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LOCALES = Path(__file__).parent / "locales"
LANGUAGES = {"zh": "zh_CN", "en": "en"}
DEFAULT = "zh"
# Each language's name in itself, for the switch between them.
LANGUAGE_NAMES = {"zh": "中文", "en": "English"}


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


def gettext(language: str, message: str) -> str:
    return translations(language).gettext(message)


@dataclass(frozen=True)
class Message:
    """A message for people: an English template and the values it names."""

    template: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def __init__(self, template: str, /, **params: Any) -> None:
        object.__setattr__(self, "template", template)
        object.__setattr__(self, "params", params)

    def in_language(self, language: str) -> str:
        params = {k: _in(language, v) for k, v in self.params.items()}
        return _filled(gettext(language, self.template), params, self.template)

    @property
    def english(self) -> str:
        params = {k: _in("en", v) for k, v in self.params.items()}
        return _filled(self.template, params, self.template)

    def __str__(self) -> str:
        return self.english

    def as_json(self) -> dict[str, Any]:
        """For storing a message to show later, each time in its reader's language."""
        return {"text": self.template, "values": {k: _stored(v) for k, v in self.params.items()}}

    @classmethod
    def from_json(cls, stored: dict[str, Any]) -> "Message":
        return cls(stored["text"], **{k: _loaded(v) for k, v in stored["values"].items()})


def _stored(value: Any) -> Any:
    if isinstance(value, Message):
        return {"message": value.as_json()}
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)  # dates and the like, as the English text would show them


def _loaded(value: Any) -> Any:
    if isinstance(value, dict) and "message" in value:
        return Message.from_json(value["message"])
    return value


def joined(parts: "list[Message]") -> Message:
    """Several messages as one, separated as the reader's language separates clauses."""
    names = [f"part{i}" for i in range(1, len(parts) + 1)]
    return Message(
        "; ".join("{" + name + "}" for name in names), **dict(zip(names, parts, strict=True))
    )


def _in(language: str, value: Any) -> Any:
    """A value as the reader reads it: a message within a message is translated too."""
    return value.in_language(language) if isinstance(value, Message) else value


def _filled(template: str, params: Mapping[str, Any], english: str) -> str:
    if not params:
        return template
    try:
        return template.format(**params)
    except (KeyError, IndexError, ValueError):  # a translation that names a value wrongly
        return english.format(**params)
