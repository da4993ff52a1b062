"""The analysts' semantic layer and report (sparkify_report): the semantic layer passes MetricFlow's own checks
and a broken metric is refused in MetricFlow's words; every saved query equals the Python reference
(metrics_reference.py) on the sample and on generated data; the page, as a browser shows it, draws every chart
from those rows, offline, and says plainly when there is nothing to rank or no data at all. (Redshift parity:
test_redshift_harness.py.)"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import PROJECT_DIR, SAMPLE_ROOT, Warehouse
from report_checks import assert_equals_reference, run_report

ARTIFACTS = PROJECT_DIR / "artifacts" / "report"
GENERATOR = PROJECT_DIR / "scripts" / "generate_sparkify_data.py"


@pytest.fixture(scope="module")
def sample_report(full_build: Warehouse, tmp_path_factory) -> Path:
    """The report of the sample's full build (a copy of it)."""
    workdir = tmp_path_factory.mktemp("sample_report")
    warehouse = full_build.copy_to(workdir / "warehouse")
    done = run_report(workdir, SPARKIFY_DUCKDB_PATH=str(warehouse.path))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return workdir


def test_semantic_layer_passes_metricflow_checks_and_a_broken_metric_is_refused_in_its_words(tmp_path):
    """The project's semantic layer is sound (MetricFlow's validation, then a plan of every metric and saved
    query); a metric filtering on a dimension that does not exist is refused, naming it and MetricFlow's
    suggestions (dbt parse and MetricFlow's manifest validation both let it through)."""
    done = run_report(tmp_path / "ok", "--check", SPARKIFY_DUCKDB_PATH=str(tmp_path / "unused.duckdb"))
    assert done.returncode == 0, done.stderr[-3000:]
    assert "semantic layer ok: 12 metrics, 10 saved queries" in done.stdout

    project = tmp_path / "project"
    shutil.copytree(PROJECT_DIR, project, ignore=shutil.ignore_patterns(
        ".venv", ".git", "target", "logs", "artifacts", "*.duckdb*", "dags", "tests", "data", "mwaa", "scripts",
    ))  # fmt: skip
    metrics = project / "models" / "semantic" / "_semantic__metrics.yml"
    metrics.write_text(metrics.read_text() + (
        "\n  - name: paid_tier_plays\n    label: Paid tier plays\n    description: A typo in a filter.\n"
        "    type: simple\n    type_params:\n      measure: plays\n"
        "    filter: \"{{ Dimension('songplay__tier') }} = 'paid'\"\n"
    ))  # fmt: skip
    done = run_report(tmp_path / "broken", "--check", project_dir=project, SPARKIFY_DUCKDB_PATH=str(tmp_path / "x"))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "semantic layer broken" in done.stdout
    assert "metric paid_tier_plays" in done.stderr
    assert "does not match any of the available group-by-items" in done.stderr  # MetricFlow's own message
    assert "songplay__level" in done.stderr  # with its suggestions


def test_every_saved_query_equals_the_reference_on_the_sample(sample_report: Path):
    assert_equals_reference(json.loads((sample_report / "rows.json").read_text()), SAMPLE_ROOT)


def test_every_saved_query_equals_the_reference_on_generated_data(tmp_path, new_warehouse):
    """Generated days whose plays match the catalogue: the top songs and artists are ranked as charts."""
    root = tmp_path / "data"
    done = subprocess.run([sys.executable, str(GENERATOR), str(root), "--songs", "60", "--users", "25", "--days", "3",
                           "--events-per-day", "400", "--match-fraction", "0.5", "--seed", "11"],
                          capture_output=True, text=True, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    warehouse = new_warehouse()
    warehouse.build(vars={"data_root": str(root)})
    done = run_report(tmp_path, SPARKIFY_DUCKDB_PATH=str(warehouse.path))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    rows = json.loads((tmp_path / "rows.json").read_text())
    assert_equals_reference(rows, root)
    assert len(rows["top_songs"]) >= 5
    assert len(rows["top_artists"]) >= 5
    page = (tmp_path / "report.html").read_text()
    assert "id='chart-top_songs'" in page
    assert "id='chart-top_artists'" in page


def network_requests(driver) -> list[str]:
    """URLs the page asked for since the last call (Chrome's performance log), data: URLs left out."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            url = message["params"]["request"]["url"]
            if not url.startswith("data:"):
                urls.append(url)
    return urls


def open_page(driver, page: Path) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get_log("browser")
    driver.get_log("performance")
    driver.get(page.as_uri())
    WebDriverWait(driver, 30).until(lambda d: d.execute_script("return document.body.dataset.rendered"))


def test_the_report_draws_every_chart_offline_with_tiles_equal_to_the_metrics(browser, sample_report: Path):
    """As an analyst opens it (a file, no server): every chart has marks, no console error, no request but the
    file itself; each KPI tile shows its metric's value; the top songs and artists say in words that 1 play of
    6,820 matched the catalogue instead of drawing a one-bar chart."""
    from selenium.webdriver.common.by import By

    page = sample_report / "report.html"
    open_page(browser, page)
    assert browser.execute_script("return document.body.dataset.rendered") == "7"  # 9 charts, 2 of them statements
    assert network_requests(browser) == [page.as_uri()]
    assert [entry for entry in browser.get_log("browser") if entry["level"] in ("SEVERE", "WARNING")] == []
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "01_report_top.png"))

    rows = json.loads((sample_report / "rows.json").read_text())
    drawn = {element.get_attribute("id") for element in browser.find_elements(By.CSS_SELECTOR, "div.chart")}
    assert drawn == {f"chart-{name}" for name in rows if name not in {"headline_figures", "top_songs", "top_artists"}}
    for chart_id in drawn:
        kinds = ("g.mark-rect path", "g.mark-line path", "g.mark-text text")
        marks = browser.find_elements(By.CSS_SELECTOR, ", ".join(f"#{chart_id} svg {kind}" for kind in kinds))
        assert len(marks) >= 2, chart_id

    (headline,) = rows["headline_figures"]
    tiles = {tile.get_attribute("data-metric"): tile.find_element(By.CLASS_NAME, "value").text
             for tile in browser.find_elements(By.CSS_SELECTOR, ".tile")}  # fmt: skip
    assert tiles == {
        "plays": f"{headline['plays']:,}",
        "listeners": f"{headline['listeners']:,}",
        "sessions": f"{headline['sessions']:,}",
        "paid_play_share": f"{float(headline['paid_play_share']):.1%}",
        "plays_per_session": f"{float(headline['plays_per_session']):,.2f}",
        "plays_per_listener": f"{float(headline['plays_per_listener']):,.2f}",
        "catalogue_match_rate": f"{float(headline['catalogue_match_rate']):.3%}",
        "free_to_paid_conversion_30d": f"{float(headline['free_to_paid_conversion_30d']):.1%}",
    }
    assert tiles["plays"] == "6,820"

    songs = browser.find_element(By.CSS_SELECTOR, "[data-statement='top_songs']")
    browser.execute_script("arguments[0].scrollIntoView()", songs)
    browser.save_screenshot(str(ARTIFACTS / "02_report_top_songs_statement.png"))
    assert songs.text.startswith("Not enough catalogue matches to rank songs: 1 song matched")
    assert "of 6,820 plays matched one of the 71 songs in the catalogue" in songs.text


def test_an_empty_warehouse_gives_a_report_that_says_no_data_yet(browser, tmp_path):
    """No table yet (nothing built): the page says so and what to run, no traceback, no chart."""
    from selenium.webdriver.common.by import By

    done = run_report(tmp_path, SPARKIFY_DUCKDB_PATH=str(tmp_path / "empty.duckdb"))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    open_page(browser, tmp_path / "report.html")
    text = browser.find_element(By.TAG_NAME, "body").text
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "03_report_no_data.png"))
    assert "No data yet. The warehouse has no fct_songplays table: run `make build` first." in text
    assert browser.find_elements(By.CSS_SELECTOR, "div.chart") == []
    assert "Traceback" not in text
