"""R1: the catalog's DCAT-AP export is one harvesters accept. The demo catalog conforms to the
official DCAT-AP 3.0.1 SHACL shapes (vendored in dcat-ap-3.0.1/, CC-BY 4.0, with no online
imports), raises no recommendation the platform has data for, and a CKAN-style harvest finds each
published entry once with its distributions, and nothing unpublished or not-shared."""

import json
from pathlib import Path
from typing import Any

import pytest
from pyshacl import validate
from rdflib import RDF, Graph, Literal, Namespace, URIRef
from sqlalchemy import select

from catalog.dcat import dcat_catalog
from catalog.demo import seed_catalog
from catalog.models import Resource, ResourceVersion
from catalog.vocab import ResourceStatus, ShareType
from exchange.demo import seed_identity
from exchange.runtime import Platform

SHAPES = Path(__file__).parent / "dcat-ap-3.0.1"
BASE = "https://data.city.example"
# Plain namespaces: pytest looks into a test module's names, and rdflib's defined namespaces
# warn at every name they do not define.
DCAT = Namespace("http://www.w3.org/ns/dcat#")
DCTERMS = Namespace("http://purl.org/dc/terms/")
SH = Namespace("http://www.w3.org/ns/shacl#")
SKOS = Namespace("http://www.w3.org/2004/02/skos/core#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")


@pytest.fixture
def exported(platform: Platform) -> tuple[Graph, dict[str, Any]]:
    with platform.database.transaction() as session:
        seed_identity(session, platform=platform)
        seed_catalog(session, env=platform.workflow_environment(session))
    with platform.database.transaction() as session:
        document = dcat_catalog(session, base_url=BASE)
    graph = Graph().parse(data=json.dumps(document, ensure_ascii=False), format="json-ld")
    return graph, document


def _shapes(*names: str) -> Graph:
    shapes = Graph()
    for name in names:
        shapes.parse(SHAPES / name, format="turtle")
    return shapes


def _results(report: Graph, severity: URIRef) -> list[str]:
    found = []
    for result in report.subjects(RDF.type, SH.ValidationResult):
        if report.value(result, SH.resultSeverity) == severity:
            found.append(
                f"{report.value(result, SH.focusNode)} {report.value(result, SH.resultPath)}: "
                f"{report.value(result, SH.resultMessage)}"
            )
    return sorted(found)


def test_r1_the_demo_catalog_conforms_to_the_dcat_ap_3_shapes(
    exported: tuple[Graph, dict[str, Any]],
) -> None:
    graph, _document = exported
    conforms, report, _text = validate(
        graph, shacl_graph=_shapes("dcat-ap-SHACL.ttl", "range.ttl"), inference="none",
        do_owl_imports=False, allow_warnings=True,
    )  # fmt: skip
    violations = _results(report, SH.Violation)
    assert not violations, "\n".join(violations)
    assert conforms


def test_r1_the_recommended_shapes_find_nothing_the_platform_has(
    exported: tuple[Graph, dict[str, Any]],
) -> None:
    graph, _document = exported
    _conforms, report, _text = validate(
        graph, shacl_graph=_shapes("shapes_recommended.ttl"), inference="none",
        do_owl_imports=False, allow_warnings=True,
    )  # fmt: skip
    warned = _results(report, SH.Warning) + _results(report, SH.Violation)
    # What the catalog does not record may be missing: keywords, the places and periods a
    # resource covers, and a licence (shared data is used under the sharing rules and each
    # grant's conditions, which dct:accessRights states, not under a licence). Nothing it
    # records may be missing.
    unrecorded = ("#keyword", "/spatial", "/temporal", "/license")
    recorded = [w for w in warned if not any(u in w for u in unrecorded)]
    assert not recorded, "\n".join(recorded)


def test_r1_a_harvest_finds_every_published_entry_once_with_its_distributions(
    exported: tuple[Graph, dict[str, Any]], platform: Platform
) -> None:
    graph, _document = exported
    with platform.database.transaction() as session:
        statuses = dict(session.execute(select(Resource.code, Resource.status)).all())
        shared = set(
            session.scalars(
                select(Resource.code)
                .join(ResourceVersion, ResourceVersion.id == Resource.published_version_id)
                .where(Resource.status == ResourceStatus.PUBLISHED,
                       ResourceVersion.share_type != ShareType.NOT_SHARED)
            )
        )  # fmt: skip
    assert shared
    assert set(statuses) - shared

    # What a CKAN harvester keeps of each dataset: identifier, title, resources (distributions).
    harvested: dict[str, dict[str, Any]] = {}
    catalog = next(graph.subjects(RDF.type, DCAT.Catalog))
    for dataset in graph.objects(catalog, DCAT.dataset):
        identifier = str(graph.value(dataset, DCTERMS.identifier))
        assert identifier not in harvested
        harvested[identifier] = {
            "title": graph.value(dataset, DCTERMS.title),
            "resources": {
                str(graph.value(d, DCAT.accessURL)): str(graph.value(d, DCAT.mediaType))
                for d in graph.objects(dataset, DCAT.distribution)
            },
            "contact": graph.value(graph.value(dataset, DCAT.contactPoint), VCARD.fn),
            "theme": graph.value(graph.value(dataset, DCAT.theme), SKOS.prefLabel),
        }
    assert set(harvested) == shared
    for code, kept in harvested.items():
        assert isinstance(kept["title"], Literal)
        assert kept["title"].language == "zh"
        assert kept["resources"] == {
            f"{BASE}/api/v1/data/{code}/rows?format=json":
                "https://www.iana.org/assignments/media-types/application/json",
            f"{BASE}/api/v1/data/{code}/rows?format=csv":
                "https://www.iana.org/assignments/media-types/text/csv",
            f"{BASE}/api/v1/data/{code}/download?format=csv":
                "https://www.iana.org/assignments/media-types/text/csv",
            f"{BASE}/api/v1/data/{code}/download?format=parquet":
                "https://www.iana.org/assignments/media-types/application/vnd.apache.parquet",
            f"{BASE}/api/v1/data/{code}/changes?format=json":
                "https://www.iana.org/assignments/media-types/application/json",
        }  # fmt: skip
        assert kept["contact"]
        assert kept["theme"]
    # The themes are a published taxonomy, labelled in both languages.
    scheme = graph.value(catalog, DCAT.themeTaxonomy)
    assert (scheme, RDF.type, SKOS.ConceptScheme) in graph
    labels = {
        label.language
        for label in graph.objects(URIRef(f"{scheme}/202"), SKOS.prefLabel)
        if isinstance(label, Literal)
    }
    assert labels == {"zh", "en"}
