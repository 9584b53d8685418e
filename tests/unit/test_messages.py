"""One language at a time: every message a person reads comes from the message catalogs.

The check reads the code, not a running platform: every portal template's ``_("…")``, every
message of an error, every ``Message("…")``, ``say(…, "…")`` and ``explain="…"``, and every word of
the vocabularies and workflows the pages show through ``_(value)``. Each must be an English
message id (English needs no catalog, so no Chinese in an id) with a Chinese translation, and no
message may be an f-string: a sentence with its values already in it cannot be translated.
"""

import ast
import enum
import importlib
import re
from collections.abc import Iterator
from pathlib import Path

from exchange.i18n import translations

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = (
    "catalog",
    "cloud",
    "collection",
    "exchange",
    "exchange_api",
    "exchange_cli",
    "policies",
    "projects",
    "quality",
    "supervision",
)
TEMPLATES = ROOT / "exchange_api" / "portal" / "templates"
CJK = re.compile(r"[\u4e00-\u9fff]")
# Shown through _(value) in the templates: their words are messages too.
# (The catalog's own vocabulary has its Chinese labels beside it, in catalog.vocab.)
VOCABULARIES = (
    "policies.vocab",
    "quality.vocab",
    "exchange.identity.roles",
    "exchange.audit.chain",
    "projects.vocab",
    "cloud.vocab",
)
WORKFLOWS = (
    "catalog.lifecycle",
    "catalog.tasks",
    "policies.requests",
    "policies.disputes",
    "quality.issues",
    "projects.workflow",
    "cloud.workflow",
)


def _python_files() -> Iterator[Path]:
    for package in PACKAGES:
        yield from (ROOT / package).rglob("*.py")


def _error_classes(trees: dict[Path, ast.Module]) -> set[str]:
    """Every class that is, by its bases, an explained exception (found to a fixed point)."""
    names = {"Explained", "not_found"}
    while True:
        found = {
            node.name
            for tree in trees.values()
            for node in ast.walk(tree)
            if isinstance(node, ast.ClassDef)
            and any(
                (b.id if isinstance(b, ast.Name) else getattr(b, "attr", None)) in names
                for b in node.bases
            )
        }
        if found <= names:
            return names
        names |= found


def _called(node: ast.Call) -> str | None:
    func = node.func
    return func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)


def python_messages() -> tuple[set[str], list[str]]:
    """(message ids, places where a message is an f-string or built by concatenation)."""
    trees = {path: ast.parse(path.read_text(encoding="utf-8")) for path in _python_files()}
    errors = _error_classes(trees)
    messages: set[str] = set()
    built: list[str] = []
    for path, tree in trees.items():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = _called(node)
            arguments = []
            if name in errors or name == "Message":
                position = 1 if name == "not_found" else 0
                arguments.append(node.args[position] if len(node.args) > position else None)
            elif name == "say":  # say(request, "…") in the portal, say("…") in reports
                arguments += [a for a in node.args if isinstance(a, ast.Constant | ast.JoinedStr)][
                    :1
                ]
            arguments += [k.value for k in node.keywords if k.arg == "explain"]
            for argument in arguments:
                if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                    messages.add(argument.value)
                elif isinstance(argument, ast.JoinedStr | ast.BinOp):
                    built.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return messages, built


def template_messages() -> set[str]:
    return {
        match.group(2)
        for template in TEMPLATES.glob("*.html")
        for match in re.finditer(r"""_\((["'])(.+?)\1\)""", template.read_text(encoding="utf-8"))
    }


def vocabulary_words() -> set[str]:
    from exchange.workflow import Workflow

    words: set[str] = set()
    for module_name in VOCABULARIES:
        module = importlib.import_module(module_name)
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, enum.StrEnum)
                and value.__module__ == module_name
            ):
                words |= {member.value for member in value}
    for module_name in WORKFLOWS:
        module = importlib.import_module(module_name)
        for value in vars(module).values():
            if isinstance(value, Workflow):
                words |= {t.action for t in value.transitions} | set(value.states)
    from catalog.spreadsheet import COLUMNS
    from quality.suites import KINDS

    words |= set(KINDS.values())  # what each kind of check requires, in issue titles
    return words | {c.note for c in COLUMNS if c.note}  # the catalog template's guidance


def test_every_message_is_an_english_id_with_a_chinese_translation() -> None:
    python, built = python_messages()
    assert built == [], "messages built from values cannot be translated; use a template"
    messages = python | template_messages() | vocabulary_words()
    messages.discard("")
    chinese = translations("zh")
    assert sorted(m for m in messages if CJK.search(m)) == []  # English readers get the id
    untranslated = sorted(m for m in messages if chinese.gettext(m) == m and not _same_in_both(m))
    assert untranslated == []
    assert len(python) > 200  # the extraction found the errors


def _same_in_both(message: str) -> bool:
    """An id with no words of its own, only values and punctuation: "{what}: {reason}."."""
    return re.search(r"[A-Za-z]", re.sub(r"\{[^}]*\}", "", message)) is None


def test_translations_fill_in_the_same_values() -> None:
    """A translation may move a value, never lose or rename one."""
    chinese = translations("zh")
    python, _ = python_messages()
    wrong = []
    for message in python:
        names = set(re.findall(r"\{([a-z0-9_]+)", message))
        translated = chinese.gettext(message)
        if translated != message and set(re.findall(r"\{([a-z0-9_]+)", translated)) != names:
            wrong.append(message)
    assert wrong == []


def test_templates_have_no_words_outside_the_catalogs() -> None:
    """Chinese written straight into a template would reach English readers."""
    stray = []
    for template in TEMPLATES.glob("*.html"):
        text = template.read_text(encoding="utf-8")
        without_messages = re.sub(r"""_\((["']).+?\1\)""", "", text)
        for number, line in enumerate(without_messages.splitlines(), start=1):
            if CJK.search(line):
                stray.append(f"{template.name}:{number}: {line.strip()[:80]}")
    assert stray == []
