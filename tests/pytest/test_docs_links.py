"""Every relative link of the README and the guides in docs/ points to a file that exists and, when it names an
anchor, to a heading of that file (GitHub's anchors: lowercase, punctuation dropped, spaces as hyphens)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from conftest import PROJECT_DIR

LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
HEADING = re.compile(r"^#{1,6} (.+)$", re.MULTILINE)
FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)


def pages() -> list[Path]:
    return [PROJECT_DIR / "README.md", *sorted((PROJECT_DIR / "docs").glob("*.md"))]


def prose(page: Path) -> str:
    """The page without its code blocks: a `[x](y)` inside code is not a link."""
    return FENCE.sub("", page.read_text())


def anchor(heading: str) -> str:
    text = re.sub(r"[`*_]|\[([^\]]*)\]\([^)]*\)", r"\1", heading).strip().lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    return {anchor(h) for h in HEADING.findall(prose(page))}


def broken_links(page: Path) -> list[str]:
    broken = []
    for target in LINK.findall(prose(page)):
        if re.match(r"[a-z]+:", target):  # http(s):, mailto: ... are not checked here
            continue
        path, _, name = target.partition("#")
        linked = (page.parent / path).resolve() if path else page
        if not linked.exists():
            broken.append(f"{target}: no file {os.path.relpath(linked, PROJECT_DIR)}")
        elif name and (linked.suffix != ".md" or name not in anchors(linked)):
            broken.append(f"{target}: no heading #{name} in {linked.name}")
    return broken


@pytest.mark.parametrize("page", pages(), ids=lambda page: page.name)
def test_every_relative_link_points_to_a_file_and_heading_that_exist(page: Path):
    assert broken_links(page) == []


def test_the_check_finds_a_missing_file_and_a_missing_heading(tmp_path: Path):
    page = tmp_path / "page.md"
    (tmp_path / "other.md").write_text("# Other\n\n## A section, with punctuation\n")
    page.write_text(
        "# Page\n[ok](other.md#a-section-with-punctuation) [ok](#page) [web](https://example.com)\n"
        "[gone](missing.md) [no heading](other.md#nothing) [here](#nowhere)\n```\n[in code](ignored.md)\n```\n"
    )
    assert [line.split(":")[0] for line in broken_links(page)] == ["missing.md", "other.md#nothing", "#nowhere"]


def test_readme_is_a_front_door_of_at_most_200_lines_with_a_map_of_every_guide():
    readme = (PROJECT_DIR / "README.md").read_text()
    assert len(readme.splitlines()) <= 200
    linked = {Path(target.partition("#")[0]).name for target in LINK.findall(readme) if target.startswith("docs/")}
    assert linked == {page.name for page in (PROJECT_DIR / "docs").glob("*.md")}
