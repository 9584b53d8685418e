"""Masking rules of data items (R3, R14): how a conditional item reads when a grant opens it
``masked`` rather than whole. The provider declares a rule per item in the catalog; an item
without one gets the default for its type and format.

A rule is written as text, so it fits a spreadsheet cell and a response header:

- ``keep:F:L``  the first F and last L characters, stars between (4212**********1234); a value
  too short to hide anything that way is all stars;
- ``pseudonym`` a keyed hash, stable within one grant and different across grants: the consumer
  joins its own tables on it but cannot match another department's copy;
- ``year`` / ``month`` a date or time cut to its year (1975) or month (1975-11);
- ``range:W`` a number as the interval of width W it falls in ([21000, 22000));
- ``hide``      every value replaced by stars.

Nulls stay null under every rule. Applying a rule is :mod:`policies.masking`.
"""

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from catalog.vocab import DataType, ValueFormat
from exchange.i18n import Message

KINDS = ("keep", "pseudonym", "year", "month", "range", "hide")
_KEEP = re.compile(r"^keep:(\d{1,2}):(\d{1,2})$")
_RANGE = re.compile(r"^range:([0-9]+(?:\.[0-9]+)?)$")
_DATED = (DataType.DATE, DataType.DATETIME)
_NUMERIC = (DataType.INTEGER, DataType.DECIMAL)


@dataclass(frozen=True)
class MaskRule:
    kind: str
    first: int = 0
    last: int = 0
    width: Decimal | None = None

    @property
    def text(self) -> str:
        if self.kind == "keep":
            return f"keep:{self.first}:{self.last}"
        if self.kind == "range":
            return f"range:{self.width}"
        return self.kind


class BadRule(ValueError):
    """The text is not a masking rule, or not one that suits the item's type."""

    def __init__(self, message: Message) -> None:
        super().__init__(str(message))
        self.message = message


def parse(text: str) -> MaskRule:
    text = text.strip().lower()
    if text in ("pseudonym", "year", "month", "hide"):
        return MaskRule(text)
    if keep := _KEEP.match(text):
        return MaskRule("keep", int(keep.group(1)), int(keep.group(2)))
    if ranged := _RANGE.match(text):
        try:
            width = Decimal(ranged.group(1))
        except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
            width = Decimal(0)
        if width > 0:
            return MaskRule("range", width=width)
    raise BadRule(
        Message(
            "{text!r} is not a masking rule: write keep:F:L, pseudonym, year, month, range:W or hide",
            text=text,
        )
    )


def rule_for(data_type: str, declared: str) -> MaskRule:
    """The declared rule, checked against the item's type (BadRule if it does not suit it)."""
    rule = parse(declared)
    if rule.kind in ("year", "month") and data_type not in _DATED:
        raise BadRule(Message("{rule} suits date and time items only", rule=rule.text))
    if rule.kind == "range" and data_type not in _NUMERIC:
        raise BadRule(Message("{rule} suits numeric items only", rule=rule.text))
    return rule


# Formats whose ends say little: the region and check digits of an identity number, the carrier
# prefix and last digits of a phone number.
_FORMAT_DEFAULTS = {
    ValueFormat.RESIDENT_ID: MaskRule("keep", 4, 4),
    ValueFormat.USCC: MaskRule("keep", 4, 4),
    ValueFormat.MOBILE: MaskRule("keep", 3, 4),
    ValueFormat.PHONE: MaskRule("keep", 3, 4),
    ValueFormat.EMAIL: MaskRule("keep", 1, 0),
    ValueFormat.POSTAL_CODE: MaskRule("keep", 2, 0),
}
_TYPE_DEFAULTS = {
    DataType.STRING: MaskRule("keep", 1, 1),
    DataType.DATE: MaskRule("month"),
    DataType.DATETIME: MaskRule("month"),
    DataType.INTEGER: MaskRule("range", width=Decimal(100)),
    DataType.DECIMAL: MaskRule("range", width=Decimal(100)),
    DataType.BOOLEAN: MaskRule("hide"),
}


def default_rule(data_type: str, value_format: str | None) -> MaskRule:
    """The rule of an item that declares none."""
    if value_format in _FORMAT_DEFAULTS:
        return _FORMAT_DEFAULTS[ValueFormat(value_format)]
    return _TYPE_DEFAULTS.get(DataType(data_type), MaskRule("hide"))


def effective_rule(data_type: str, value_format: str | None, declared: str | None) -> MaskRule:
    """What a masked read of the item shows: its declared rule, else its default."""
    if declared:
        return rule_for(data_type, declared)
    return default_rule(data_type, value_format)
