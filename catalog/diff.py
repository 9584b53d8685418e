"""Differences between two versions of an entry, readable, with R7's key elements flagged."""

from dataclasses import dataclass, field
from typing import Any

from catalog.models import ResourceVersion
from catalog.schemas import EntryDraft, ItemDraft

# R7: schema, share type, update cycle (the provider cannot change: it is the resource's own).
KEY_ENTRY_FIELDS = {"share_type", "update_cycle"}
KEY_ITEM_FIELDS = {"data_type", "length", "precision", "share_type"}
_ENTRY_FIELDS = [name for name in EntryDraft.model_fields if name != "items"] + ["share_type"]
_ITEM_FIELDS = list(ItemDraft.model_fields)


@dataclass
class VersionDiff:
    from_version: int
    to_version: int
    fields: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    items_added: list[str] = field(default_factory=list)
    items_removed: list[str] = field(default_factory=list)
    items_changed: dict[str, dict[str, tuple[Any, Any]]] = field(default_factory=dict)

    @property
    def key_change(self) -> bool:
        return bool(
            self.items_added
            or self.items_removed
            or KEY_ENTRY_FIELDS & self.fields.keys()
            or any(KEY_ITEM_FIELDS & changes.keys() for changes in self.items_changed.values())
        )

    def lines(self) -> list[str]:
        out = [f"{name}: {old!r} → {new!r}" for name, (old, new) in self.fields.items()]
        out += [f"+ item {name}" for name in self.items_added]
        out += [f"- item {name}" for name in self.items_removed]
        for name, changes in self.items_changed.items():
            out += [f"item {name}.{f}: {old!r} → {new!r}" for f, (old, new) in changes.items()]
        return out


def diff_versions(old: ResourceVersion, new: ResourceVersion) -> VersionDiff:
    result = VersionDiff(old.number, new.number)
    for name in _ENTRY_FIELDS:
        before, after = getattr(old, name), getattr(new, name)
        if before != after:
            result.fields[name] = (before, after)
    old_items = {i.name: i for i in old.items}
    new_items = {i.name: i for i in new.items}
    result.items_added = [n for n in new_items if n not in old_items]
    result.items_removed = [n for n in old_items if n not in new_items]
    for name in new_items.keys() & old_items.keys():
        changes = {
            f: (getattr(old_items[name], f), getattr(new_items[name], f))
            for f in _ITEM_FIELDS
            if getattr(old_items[name], f) != getattr(new_items[name], f)
        }
        if changes:
            result.items_changed[name] = changes
    return result
