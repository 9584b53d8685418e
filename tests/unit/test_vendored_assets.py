"""The browser libraries the portal serves itself: exactly the versions package.json pins and
package-lock.json checks, each with its licence, served from the platform (nothing from outside)."""

import json
import re
from pathlib import Path

from fastapi.testclient import TestClient

ROOT = Path(__file__).resolve().parents[2]
VENDOR = ROOT / "exchange_api" / "portal" / "static" / "vendor"


def test_echarts_is_the_pinned_version_with_its_licence_and_served_by_the_platform(
    client: TestClient,
) -> None:
    pinned = json.loads((ROOT / "package.json").read_text())["dependencies"]["echarts"]
    locked = json.loads((ROOT / "package-lock.json").read_text())["packages"][
        "node_modules/echarts"
    ]
    assert locked["version"] == pinned
    assert locked["integrity"].startswith("sha512-")
    script = (VENDOR / "echarts" / "echarts.min.js").read_text(encoding="utf-8")
    assert re.search(r'version="([0-9.]+)"', script).group(1) == pinned  # type: ignore[union-attr]
    assert "Apache License" in (VENDOR / "echarts" / "LICENSE").read_text(encoding="utf-8")
    for name in ("echarts.min.js", "LICENSE", "NOTICE"):
        assert client.get(f"/static/vendor/echarts/{name}").status_code == 200, name


def test_no_template_styles_an_element_inline_which_the_pages_policy_would_block() -> None:
    """The pages' Content-Security-Policy allows styles from the style sheet only, so a style
    attribute is silently ignored by the browser: every look belongs in portal.css."""
    import re
    from pathlib import Path

    templates = Path(__file__).resolve().parents[2] / "exchange_api" / "portal" / "templates"
    styled = [
        f"{path.name}:{number}"
        for path in sorted(templates.glob("*.html"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if re.search(r"\sstyle=", line)
    ]
    assert styled == []
