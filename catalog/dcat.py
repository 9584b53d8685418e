"""The published catalog as DCAT-AP 3 JSON-LD, for other catalogs and harvesters.

It conforms to the DCAT-AP 3.0.1 SHACL shapes without their online imports: every EU concept it
cites (frequencies, file types, access rights, publisher types) is stated with its class here, and
the classification is published as the catalog's theme taxonomy, a SKOS concept scheme. Each
published resource's distributions are its data API endpoints (rows, bulk download, changes) with
the access rights that apply. Not-shared resources and not-shared items are left out: a harvester
learns only what some department can ask for.
"""

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.governance import current_administrators
from catalog.models import Classification, Resource, ResourceVersion
from catalog.vocab import LABELS_ZH, ResourceStatus, ShareType, UpdateCycle
from exchange.identity.models import Department, User, UserRole
from exchange.identity.roles import Role

FREQUENCY = "http://publications.europa.eu/resource/authority/frequency/"
ACCESS_RIGHT = "http://publications.europa.eu/resource/authority/access-right/"
FILE_TYPE = "http://publications.europa.eu/resource/authority/file-type/"
MEDIA_TYPE = "https://www.iana.org/assignments/media-types/"
PUBLISHER_TYPE = "http://purl.org/adms/publishertype/"
LANGUAGE = "http://publications.europa.eu/resource/authority/language/"
AVAILABILITY = "http://publications.europa.eu/resource/authority/planned-availability/"
# Each EU concept cited, with its English label in the EU vocabulary.
FREQUENCIES = {
    UpdateCycle.REALTIME: ("CONT", "continuous"),
    UpdateCycle.DAILY: ("DAILY", "daily"),
    UpdateCycle.WEEKLY: ("WEEKLY", "weekly"),
    UpdateCycle.MONTHLY: ("MONTHLY", "monthly"),
    UpdateCycle.QUARTERLY: ("QUARTERLY", "quarterly"),
    UpdateCycle.HALF_YEARLY: ("ANNUAL_2", "semiannual"),
    UpdateCycle.YEARLY: ("ANNUAL", "annual"),
    UpdateCycle.IRREGULAR: ("IRREG", "irregular"),
}
ACCESS_RIGHTS = {
    ShareType.UNCONDITIONAL: ("PUBLIC", "public"),
    ShareType.CONDITIONAL: ("RESTRICTED", "restricted"),
    ShareType.NOT_SHARED: ("NON_PUBLIC", "non-public"),
}
FILE_TYPES = {"JSON": "JSON", "CSV": "CSV", "PARQUET": "Parquet"}
CONTEXT = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "dcatap": "http://data.europa.eu/r5r/",
    "exg": "urn:exchange:vocab:",
}


# The ways a resource's data is served (exchange_api.routers.data), each a distribution: path,
# format, EU file type, media type, and its title in Chinese and English.
ENDPOINTS = (
    ("rows", "json", "JSON", "application/json", "接口查询（JSON）", "API query (JSON)"),
    ("rows", "csv", "CSV", "text/csv", "接口查询（CSV）", "API query (CSV)"),
    ("download", "csv", "CSV", "text/csv", "批量下载（CSV）", "Bulk download (CSV)"),
    ("download", "parquet", "PARQUET", "application/vnd.apache.parquet",
     "批量下载（Parquet）", "Bulk download (Parquet)"),
    ("changes", "json", "JSON", "application/json", "变更订阅（JSON）", "Subscription: changes (JSON)"),
)  # fmt: skip
# What each way gives, in Chinese and English.
ENDPOINT_DESCRIPTIONS = {
    "rows": (
        "按页查询授权范围内的信息项和数据行，须说明用途；每次读取均记入审计日志。",
        "Pages of the granted items and rows, for a stated purpose; every read is audited.",
    ),
    "download": (
        "一次下载当前快照中授权范围内的全部数据，须说明用途。",
        "The granted part of the current snapshot as one file, for a stated purpose.",
    ),
    "changes": (
        "自某一快照以来新增和删除的数据行（订阅方式）。",
        "The rows added and removed since a given snapshot (subscription).",
    ),
}


def _texts(zh: str, en: str | None = None) -> list[dict[str, str]]:
    texts = [{"@language": "zh", "@value": zh}]
    if en:
        texts.append({"@language": "en", "@value": en})
    return texts


def _text(value: str) -> dict[str, str]:
    return {"@language": "zh", "@value": value}


def _concept(iri: str, label: str, *classes: str) -> dict[str, Any]:
    """An EU vocabulary concept with its class and label stated, so the shapes need not import
    the vocabulary to check it."""
    return {
        "@id": iri,
        "@type": [*classes, "skos:Concept"],
        "skos:prefLabel": {"@language": "en", "@value": label},
    }


def dcat_catalog(session: Session, *, base_url: str) -> dict[str, Any]:
    rows = session.execute(
        select(Resource, ResourceVersion, Department)
        .join(ResourceVersion, ResourceVersion.id == Resource.published_version_id)
        .join(Department, Department.id == Resource.provider_department_id)
        .where(
            Resource.status == ResourceStatus.PUBLISHED,
            ResourceVersion.share_type != ShareType.NOT_SHARED,
        )
        .order_by(Resource.code)
    )
    taxonomy = _taxonomy(session, base_url)
    published = list(rows)
    datasets = [
        _dataset(session, resource, version, provider, base_url, taxonomy)
        for resource, version, provider in published
    ]
    dates = sorted(str(v.publication_date) for _r, v, _p in published if v.publication_date)
    return {
        "@context": CONTEXT,
        "@id": f"{base_url}/api/v1/catalog",
        "@type": "dcat:Catalog",
        "dct:title": _texts("政务信息资源目录", "Catalog of government information resources"),
        "dct:description": _texts(
            "本市各部门登记并通过共享交换平台共享的政务信息资源。",
            "The government information resources the city's departments register and share "
            "through the data-sharing exchange platform.",
        ),
        "dct:publisher": _bureau(session, base_url),
        "dct:language": _concept(LANGUAGE + "ZHO", "Chinese", "dct:LinguisticSystem"),
        **(
            {
                "dct:issued": {"@type": "xsd:date", "@value": dates[0]},
                "dct:modified": {"@type": "xsd:date", "@value": dates[-1]},
            }
            if dates
            else {}
        ),
        "foaf:homepage": {"@id": f"{base_url}/catalog", "@type": "foaf:Document"},
        "dcat:themeTaxonomy": {
            "@id": _scheme(base_url),
            "@type": "skos:ConceptScheme",
            "dct:title": _texts("政务信息资源分类", "Classification of government information"),
        },
        "dcat:dataset": datasets,
    }


def _scheme(base_url: str) -> str:
    return f"{base_url}/api/v1/catalog/classifications"


def _taxonomy(session: Session, base_url: str) -> dict[str, dict[str, Any]]:
    """Each classification node as a SKOS concept of the catalog's theme taxonomy, by code."""
    scheme = _scheme(base_url)
    nodes = session.scalars(select(Classification).order_by(Classification.code))
    return {
        node.code: {
            "@id": f"{scheme}/{node.code}",
            "@type": "skos:Concept",
            "skos:notation": node.code,
            "skos:prefLabel": _texts(node.name, node.name_en),
            "skos:inScheme": {"@id": scheme},
            **(
                {"skos:broader": {"@id": f"{scheme}/{node.parent_code}"}}
                if node.parent_code
                else {}
            ),
        }
        for node in nodes
    }


def _agent(department: Department, base_url: str) -> dict[str, Any]:
    return {
        "@id": f"{base_url}/api/v1/departments/{department.code}",
        "@type": "foaf:Agent",
        "foaf:name": _text(department.name),
        "dct:identifier": department.code,
        "dct:type": _concept(PUBLISHER_TYPE + "LocalAuthority", "Local Authority"),
    }


def _bureau(session: Session, base_url: str) -> dict[str, Any]:
    """The catalog's publisher: the department of the bureau's administrators."""
    bureau = session.scalars(
        select(Department)
        .join(User, User.department_id == Department.id)
        .join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == str(Role.BUREAU_ADMIN), User.active)
        .order_by(User.id)
        .limit(1)
    ).first()
    if bureau is None:  # a platform not yet set up: the platform itself
        return {"@type": "foaf:Agent", "foaf:name": _text("政务数据共享交换平台")}
    return _agent(bureau, base_url)


def _contact(session: Session, provider: Department) -> dict[str, Any]:
    """Who answers for the data: the provider's data resource administrator (R1), or the
    department itself while it has none."""
    administrators = current_administrators(session, provider.id)
    if not administrators:
        return {"@type": ["vcard:Kind", "vcard:Organization"], "vcard:fn": provider.name}
    _term, person = administrators[0]
    contact: dict[str, Any] = {
        "@type": ["vcard:Kind", "vcard:Individual"],
        "vcard:fn": person.display_name,
        "vcard:organization-name": provider.name,
    }
    if person.email:
        contact["vcard:hasEmail"] = {"@id": f"mailto:{person.email}"}
    return contact


def _access_rights(share_type: ShareType) -> dict[str, Any]:
    right, label = ACCESS_RIGHTS[share_type]
    return {
        "@id": f"urn:exchange:share-type:{share_type.value}",
        "@type": "dct:RightsStatement",
        "rdfs:label": _text(LABELS_ZH[share_type]),
        "skos:closeMatch": _concept(ACCESS_RIGHT + right, label, "dct:RightsStatement"),
    }


def _distributions(
    dataset: str, code: str, base_url: str, rights: dict[str, Any]
) -> list[dict[str, Any]]:
    return [
        {
            "@id": f"{dataset}#{path}-{data_format}",
            "@type": "dcat:Distribution",
            "dct:title": _texts(title_zh, title_en),
            "dct:description": _texts(*ENDPOINT_DESCRIPTIONS[path]),
            "dcatap:availability": _concept(AVAILABILITY + "STABLE", "stable"),
            "dcat:accessURL": {"@id": f"{base_url}/api/v1/data/{code}/{path}?format={data_format}"},
            "dct:format": _concept(
                FILE_TYPE + file_type, FILE_TYPES[file_type], "dct:MediaTypeOrExtent"
            ),
            "dcat:mediaType": {"@id": MEDIA_TYPE + media_type, "@type": "dct:MediaType"},
            "dct:accessRights": rights,
        }
        for path, data_format, file_type, media_type, title_zh, title_en in ENDPOINTS
    ]


def _dataset(
    session: Session,
    resource: Resource,
    version: ResourceVersion,
    provider: Department,
    base_url: str,
    taxonomy: dict[str, dict[str, Any]],
) -> dict[str, Any]:
    share_type = ShareType(version.share_type)
    iri = f"{base_url}/api/v1/catalog/entries/{resource.code}"
    rights = _access_rights(share_type)
    frequency, label = FREQUENCIES[UpdateCycle(version.update_cycle)]
    return {
        "@id": iri,
        "@type": "dcat:Dataset",
        "dct:identifier": resource.code,
        "dct:title": _text(version.name),
        "dct:description": _text(version.abstract),
        "dct:issued": {"@type": "xsd:date", "@value": str(version.publication_date)},
        "dct:publisher": _agent(provider, base_url),
        "dcat:contactPoint": _contact(session, provider),
        "dct:accrualPeriodicity": _concept(FREQUENCY + frequency, label, "dct:Frequency"),
        "dct:accessRights": rights,
        "dcat:theme": taxonomy[version.classification_code],
        "dct:relation": [
            {"@id": f"{base_url}/api/v1/catalog/entries/{code}"} for code in version.related_codes
        ],
        "exg:openToPublic": version.open_to_public,
        "exg:dataItems": [
            {
                "exg:name": item.name,
                "rdfs:label": _text(item.label),
                "exg:dataType": item.data_type,
                "exg:shareType": item.share_type,
            }
            for item in version.items
            if item.share_type != ShareType.NOT_SHARED
        ],
        "dcat:distribution": _distributions(iri, resource.code, base_url, rights),
    }
