"""An entry's code has the form ``<classification>/<sequence>`` (e.g. ``202/000001``), so its URL
is ``/api/v1/catalog/entries/202/000001``."""

ENTRY = "/entries/{classification}/{sequence}"


def entry_code(classification: str, sequence: str) -> str:
    return f"{classification}/{sequence}"
