"""The catalog (R1-R8, R12): entries, data items, share attributes, lifecycle, search, import/export."""
