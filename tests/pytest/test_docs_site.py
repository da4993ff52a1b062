"""The analysts' docs site: complete descriptions, and what an analyst sees in a real browser."""

from __future__ import annotations

import functools
import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import PROJECT_DIR, Warehouse

ARTIFACTS = PROJECT_DIR / "artifacts" / "docs"


@pytest.fixture(scope="module")
def docs_site(full_build: Warehouse) -> Path:
    result = full_build.dbt("docs", "generate", "--static")
    assert result.returncode == 0, result.output[-3000:]
    return full_build.workdir / "target"


@pytest.fixture(scope="module")
def artifacts(docs_site: Path) -> tuple[dict, dict]:
    return json.loads((docs_site / "manifest.json").read_text()), json.loads((docs_site / "catalog.json").read_text())


def undocumented(artifacts: tuple[dict, dict]) -> list[str]:
    manifest, catalog = artifacts
    missing = []
    resources = {**manifest["nodes"], **manifest["sources"], **manifest["exposures"]}
    for unique_id, node in resources.items():
        if node["resource_type"] not in ("model", "seed", "source", "snapshot", "analysis", "exposure"):
            continue
        if node.get("package_name") != "sparkify":
            continue
        if not (node.get("description") or "").strip():
            missing.append(unique_id)
        documented = {name.lower() for name, column in node.get("columns", {}).items() if column["description"].strip()}
        missing += [
            f"{unique_id}.{name}" for name, c in node.get("columns", {}).items() if not c["description"].strip()
        ]
        # Columns that exist in the warehouse but are not declared at all count as undocumented too.
        in_catalog = {**catalog["nodes"], **catalog["sources"]}.get(unique_id, {}).get("columns", {})
        missing += [
            f"{unique_id}.{name.lower()} (in the warehouse)" for name in in_catalog if name.lower() not in documented
        ]
    for source in {n["source_name"]: n for n in manifest["sources"].values()}.values():
        if not source["source_description"].strip():
            missing.append(f"source {source['source_name']}")
    return missing


def test_every_model_column_and_source_is_described(artifacts):
    assert undocumented(artifacts) == []


def test_coverage_check_catches_a_missing_description(artifacts):
    manifest, catalog = artifacts
    broken = json.loads(json.dumps(manifest))
    broken["nodes"]["model.sparkify.dim_users"]["columns"]["level"]["description"] = ""
    del broken["nodes"]["model.sparkify.dim_time"]["columns"]["weekday"]
    assert sorted(undocumented((broken, catalog))) == [
        "model.sparkify.dim_time.weekday (in the warehouse)",
        "model.sparkify.dim_users.level",
        "model.sparkify.dim_users.level (in the warehouse)",
    ]


def test_marts_state_grain_key_and_time_zone(artifacts):
    manifest, _ = artifacts
    marts = [
        n for n in manifest["nodes"].values() if n["resource_type"] == "model" and n["name"][:4] in ("fct_", "dim_")
    ]
    assert len(marts) == 5
    for node in marts:
        assert "Grain: one row per" in node["description"], node["name"]
        assert "Primary key" in node["description"], node["name"]
    timestamps = [
        (node["name"], name, column["description"])
        for node in [*manifest["nodes"].values(), *manifest["sources"].values()]
        if node.get("package_name") == "sparkify"
        for name, column in node.get("columns", {}).items()
        if (column.get("data_type") or "").startswith("timestamp") or name.endswith(("_at", "_time", "ts"))
    ]
    assert len(timestamps) >= 8
    assert [t for t in timestamps if "UTC" not in t[2]] == []


@pytest.fixture(scope="module")
def site_url(docs_site: Path) -> Iterator[str]:
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(docs_site))
    handler.log_message = lambda *args: None  # type: ignore[method-assign]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def page_text(driver, contains: str) -> str:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, 20).until(lambda d: contains in d.find_element(By.TAG_NAME, "body").text)
    return driver.find_element(By.TAG_NAME, "body").text


def test_analyst_sees_overview_models_columns_and_lineage(browser, site_url):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(f"{site_url}/index.html#!/overview")
    text = page_text(browser, "Sparkify song-play warehouse")
    assert "The star schema" in text
    assert "only 1 of the 6,820 plays" in text
    browser.save_screenshot(str(ARTIFACTS / "01_overview.png"))

    browser.get(f"{site_url}/index.html#!/model/model.sparkify.fct_songplays")
    text = page_text(browser, "Grain: one row per song play")
    for column, description in [
        ("songplay_id", "Primary key. md5 of"),
        ("start_time", "When the song started playing, UTC"),
        ("song_id", "The catalogue song played"),
    ]:
        assert column in text
        assert description in text
    in_model_tree = browser.find_elements(By.XPATH, "//a[.//*[normalize-space(text())='fct_songplays']]")
    assert any(link.is_displayed() for link in in_model_tree)  # the project tree lists the model
    browser.save_screenshot(str(ARTIFACTS / "02_fct_songplays.png"))

    browser.find_element(By.CSS_SELECTOR, "[ng-click='onLauncherClick()']").click()
    labels = WebDriverWait(browser, 20).until(
        lambda d: d.execute_script(
            "const el = document.getElementById('cy');"
            "const cy = el && el._cyreg && el._cyreg.cy;"
            "return cy && cy.nodes().length ? cy.nodes().map(n => n.data('label')) : null;"
        )
    )
    assert {"fct_songplays", "stg_sparkify__events", "dim_time"} <= set(labels)
    browser.save_screenshot(str(ARTIFACTS / "03_lineage.png"))


def test_single_file_site_opens_on_its_own(browser, site_url):
    browser.get(f"{site_url}/static_index.html#!/overview")
    assert "How fresh it is" in page_text(browser, "Sparkify song-play warehouse")
    browser.save_screenshot(str(ARTIFACTS / "04_static_overview.png"))
