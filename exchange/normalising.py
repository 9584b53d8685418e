"""Making values comparable: the same options wherever two values are compared — two
departments' tables (R18) or a claim against stored data (verification, R14)."""

from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow as pa


class Normalisation(StrEnum):
    """How values are made comparable before they are compared."""

    WIDTH = "width"  # full-width letters, digits and brackets to half-width (NFKC)
    SPACES = "spaces"  # every kind of space removed
    CASE = "case"  # letters compared without case


def normalised(values: "pa.ChunkedArray | pa.Array", how: frozenset[Normalisation]) -> Any:
    """Strings made comparable: NFKC turns full-width letters, digits and brackets half-width."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not pa.types.is_string(values.type) and not pa.types.is_large_string(values.type):
        return values
    if Normalisation.WIDTH in how:
        values = pc.utf8_normalize(values, "NFKC")
    if Normalisation.SPACES in how:
        values = pc.replace_substring_regex(values, r"[\s\x{3000}\x{00A0}]+", "")
    if Normalisation.CASE in how:
        values = pc.utf8_lower(values)
    return values
