"""The published catalog as DCAT-AP JSON-LD, for other catalogs and harvesters.

Update cycles map to the EU frequency vocabulary (``dct:accrualPeriodicity``); share types to
``dct:accessRights`` with the platform's own concept and its closest EU access right.
"""

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.models import Resource, ResourceVersion
from catalog.vocab import LABELS_ZH, ResourceStatus, ShareType, UpdateCycle
from exchange.identity.models import Department

FREQUENCY = "http://publications.europa.eu/resource/authority/frequency/"
ACCESS_RIGHT = "http://publications.europa.eu/resource/authority/access-right/"
FREQUENCIES = {
    UpdateCycle.REALTIME: "CONT",
    UpdateCycle.DAILY: "DAILY",
    UpdateCycle.WEEKLY: "WEEKLY",
    UpdateCycle.MONTHLY: "MONTHLY",
    UpdateCycle.QUARTERLY: "QUARTERLY",
    UpdateCycle.HALF_YEARLY: "ANNUAL_2",
    UpdateCycle.YEARLY: "ANNUAL",
    UpdateCycle.IRREGULAR: "IRREG",
}
ACCESS_RIGHTS = {
    ShareType.UNCONDITIONAL: "PUBLIC",
    ShareType.CONDITIONAL: "RESTRICTED",
    ShareType.NOT_SHARED: "NON_PUBLIC",
}
CONTEXT = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "exg": "urn:exchange:vocab:",
}


def _text(value: str) -> dict[str, str]:
    return {"@language": "zh", "@value": value}


def dcat_catalog(session: Session, *, base_url: str) -> dict[str, Any]:
    rows = session.execute(
        select(Resource, ResourceVersion, Department)
        .join(ResourceVersion, ResourceVersion.id == Resource.published_version_id)
        .join(Department, Department.id == Resource.provider_department_id)
        .where(Resource.status == ResourceStatus.PUBLISHED)
        .order_by(Resource.code)
    )
    datasets = [
        _dataset(resource, version, provider, base_url) for resource, version, provider in rows
    ]
    return {
        "@context": CONTEXT,
        "@id": f"{base_url}/api/v1/catalog",
        "@type": "dcat:Catalog",
        "dct:title": _text("政务信息资源目录"),
        "dcat:dataset": datasets,
    }


def _dataset(
    resource: Resource, version: ResourceVersion, provider: Department, base_url: str
) -> dict[str, Any]:
    share_type = ShareType(version.share_type)
    code_path = resource.code
    return {
        "@id": f"{base_url}/api/v1/catalog/entries/{code_path}",
        "@type": "dcat:Dataset",
        "dct:identifier": resource.code,
        "dct:title": _text(version.name),
        "dct:description": _text(version.abstract),
        "dct:issued": {"@type": "xsd:date", "@value": str(version.publication_date)},
        "dct:publisher": {
            "@type": "foaf:Agent",
            "foaf:name": _text(provider.name),
            "dct:identifier": provider.code,
        },
        "dct:accrualPeriodicity": {
            "@id": FREQUENCY + FREQUENCIES[UpdateCycle(version.update_cycle)]
        },
        "dct:accessRights": {
            "@id": f"urn:exchange:share-type:{share_type.value}",
            "@type": "dct:RightsStatement",
            "rdfs:label": _text(LABELS_ZH[share_type]),
            "skos:closeMatch": {"@id": ACCESS_RIGHT + ACCESS_RIGHTS[share_type]},
        },
        "dcat:theme": {"@id": f"urn:exchange:classification:{version.classification_code}"},
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
        ],
        "dcat:distribution": [
            {
                "@type": "dcat:Distribution",
                "dct:format": version.format,
                "dcat:accessURL": {"@id": f"{base_url}/api/v1/data/{code_path}"},
            }
        ],
    }
