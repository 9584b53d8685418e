"""The catalog classification (类/项/目/细目). The bureau publishes it; the platform starts with
the defaults below (written by the migrations) and the bureau adds nodes."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.models import Classification
from exchange.errors import Conflict, InvalidInput

# code, Chinese name, English name; the parent is the code without its last segment (类 1 digit,
# 项 2, 目 3, 细目 3).
DEFAULT_CLASSIFICATION = (
    ("1", "基础信息资源", "Basic information resources"),
    ("101", "人口基础信息", "Population"),
    ("102", "法人单位基础信息", "Legal entities"),
    ("103", "自然资源和空间地理基础信息", "Natural resources and geospatial information"),
    ("104", "电子证照基础信息", "Electronic licences and certificates"),
    ("2", "主题信息资源", "Thematic information resources"),
    ("201", "社会保障", "Social security"),
    ("202", "市场监管", "Market regulation"),
    ("203", "税务", "Taxation"),
    ("204", "公共安全", "Public security"),
    ("205", "民政服务", "Civil affairs services"),
    ("206", "信用体系", "Credit system"),
    ("3", "部门信息资源", "Departmental information resources"),
    ("301", "综合政务", "General government affairs"),
    ("302", "经济管理", "Economic management"),
    ("303", "社会管理", "Social management"),
)
_SEGMENTS = (1, 2, 3, 3)


def level_of(code: str) -> int:
    """1 for a 类, 2 for a 项, 3 for a 目, 4 for a 细目."""
    total = 0
    for level, width in enumerate(_SEGMENTS, start=1):
        total += width
        if len(code) == total:
            return level
    raise InvalidInput("{code!r} is not a classification code (1, 3, 6 or 9 digits)", code=code)


def parent_of(code: str) -> str | None:
    level = level_of(code)
    return None if level == 1 else code[: sum(_SEGMENTS[: level - 1])]


def add_classification(
    session: Session, code: str, name: str, name_en: str | None = None
) -> Classification:
    if session.get(Classification, code) is not None:
        raise Conflict("classification {code} exists already", code=code)
    if not code.isdigit():
        raise InvalidInput("{code!r} is not a classification code: digits only", code=code)
    level = level_of(code)
    parent = parent_of(code)
    if parent is not None and session.get(Classification, parent) is None:
        raise InvalidInput("add the parent classification {parent} first", parent=parent)
    node = Classification(code=code, name=name, name_en=name_en, level=level, parent_code=parent)
    session.add(node)
    session.flush()
    return node


def ensure_default_classification(session: Session) -> int:
    """Add the default classification nodes that are missing; returns how many were added."""
    existing = set(session.scalars(select(Classification.code)))
    added = 0
    for code, name, name_en in DEFAULT_CLASSIFICATION:
        if code not in existing:
            add_classification(session, code, name, name_en)
            added += 1
    return added
