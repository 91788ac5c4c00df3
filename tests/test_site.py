"""The documentation site builds with ``mkdocs build --strict``, loads nothing remote, and its
CLI reference holds every command."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import click
import pytest
import yaml

from eojobs.cli import cli
from eojobs.cli.site import loaded, markdown_help

ROOT = Path(__file__).parent.parent

#: A URL that makes the browser ask another host: http(s) or protocol-relative.
REMOTE = re.compile(r"^\s*(?:https?:)?//", re.I)
#: Where CSS, in a file or inline, makes the browser fetch something.
CSS_FETCH = re.compile(r"""@import\s+(?:url\(\s*)?['"]?\s*([^'")\s;]+)"""
                       r"""|url\(\s*['"]?\s*([^'")\s]+)""", re.I)
#: <link> relations that only name a page and fetch nothing.
NOT_FETCHED = {"canonical", "alternate", "prev", "next", "author", "license"}


class _FetchedURLs(HTMLParser):
    """Collects the URLs an HTML page makes the browser load by itself."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in attrs}
        if tag == "link" and set(found.get("rel", "").lower().split()) <= NOT_FETCHED:
            return
        names = {"link": ["href"], "script": ["src"], "img": ["src", "srcset"],
                 "source": ["src", "srcset"], "iframe": ["src"], "video": ["src", "poster"],
                 "audio": ["src"], "embed": ["src"], "object": ["data"]}.get(tag, [])
        self.urls += [found[name] for name in names if name in found]
        if "style" in found:
            self.urls += css_urls(found["style"])


def css_urls(text: str) -> list[str]:
    """The URLs that ``@import`` and ``url(...)`` in CSS text fetch."""
    return [a or b for a, b in CSS_FETCH.findall(text)]


def remote_assets(site: Path) -> list[str]:
    """Every remote URL that a page or a style sheet of the built site would load."""
    found = []
    for path in sorted(site.rglob("*")):
        if path.suffix == ".html":
            text = path.read_text(encoding="utf-8")
            parser = _FetchedURLs()
            parser.feed(text)
            urls = parser.urls + [u for block in re.findall(r"<style[^>]*>(.*?)</style>", text,
                                                             flags=re.S | re.I)
                                  for u in css_urls(block)]
        elif path.suffix == ".css":
            urls = css_urls(path.read_text(encoding="utf-8"))
        else:
            continue
        found += [f"{path.relative_to(site)}: {url}" for url in urls if REMOTE.match(url)]
    return found


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site, built once for these tests as CI builds it, with every plugin loaded."""
    out = tmp_path_factory.mktemp("site")
    env = {k: v for k, v in os.environ.items() if not k.startswith("EOJOBS_")}
    env.update(NO_MKDOCS_2_WARNING="1", EOJOBS_HOME=str(out.parent / "home"))
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir",
                           str(out), "--config-file", str(ROOT / "mkdocs.yml")],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "WARNING" not in done.stderr, done.stderr
    return out


def nav_pages(entries: list) -> list[str]:
    """The Markdown files named in mkdocs.yml's nav, sections flattened."""
    pages = []
    for entry in entries:
        for value in entry.values() if isinstance(entry, dict) else [entry]:
            pages += nav_pages(value) if isinstance(value, list) else [value]
    return pages


def test_the_site_has_a_page_for_each_entry_of_the_nav_and_the_nav_has_every_page(site: Path):
    pages = nav_pages(yaml.safe_load((ROOT / "mkdocs.yml").read_text())["nav"])
    assert sorted(pages) == sorted(p.name for p in (ROOT / "docs").glob("*.md"))
    for page in pages:
        built = "index.html" if page == "index.md" else f"{page.removesuffix('.md')}/index.html"
        assert (site / built).is_file(), page


def test_the_site_loads_nothing_from_elsewhere(site: Path):
    assert remote_assets(site) == []
    # Links to other sites, which the reader follows, are fine and are on the pages.
    assert 'href="https://www.thefusionplatform.com"' in (site / "fusion" /
                                                           "index.html").read_text()


def test_the_check_for_remote_assets_finds_each_kind(tmp_path: Path):
    (tmp_path / "page.html").write_text(
        '<link rel="stylesheet" href="https://fonts.example.com/a.css">'
        '<link rel="canonical" href="https://docs.example.com/page/">'
        '<script src="//cdn.example.com/x.js"></script><script src="js/local.js"></script>'
        '<img src="https://example.com/i.png"><a href="https://example.com/">a page</a>'
        '<div style="background: url(https://example.com/bg.png)"></div>'
        '<style>@import "https://example.com/b.css";</style>')
    (tmp_path / "site.css").write_text(
        "@import url('http://example.com/c.css'); .a { background: url(data:image/png;x) }"
        "@font-face { src: url(\"https://fonts.example.com/f.woff2\") } .b { mask: url(i.svg) }")
    assert remote_assets(tmp_path) == [
        "page.html: https://fonts.example.com/a.css", "page.html: //cdn.example.com/x.js",
        "page.html: https://example.com/i.png", "page.html: https://example.com/bg.png",
        "page.html: https://example.com/b.css", "site.css: http://example.com/c.css",
        "site.css: https://fonts.example.com/f.woff2"]


def test_the_cli_reference_has_every_command(site: Path):
    page = (site / "cli" / "index.html").read_text()
    ids = set(re.findall(r'<h\d id="([^"]+)"', page))
    names = cli.list_commands(click.Context(cli, info_name="eojobs"))
    assert "mock" in names  # added by the mock's plugin through register_commands
    missing = [name for name in names if f"eojobs-{name}" not in ids]
    assert missing == [], f"commands missing from the CLI reference: {missing}"
    assert {"eojobs-dispatchers-add", "eojobs-mock-serve"} <= ids
    assert "--max-price" in page


def test_the_reference_sees_commands_a_group_only_lists():
    class Lazy(click.Group):
        """A group that makes a command only when asked for it, as lazy loaders do."""

        def list_commands(self, ctx: click.Context) -> list[str]:
            return ["later"]

        def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
            return click.Command(name, help="Made when asked.") if name == "later" else None

    group = Lazy("root", commands={"now": click.Command("now")})
    assert sorted(loaded(group).commands) == ["later"]
    assert group.commands.keys() == {"now"}  # the original is left as it was


def test_help_examples_become_text_blocks():
    text = """Do a thing.

    \b
    Examples:
      eojobs run elevation \\
          -o resolution=30
    """
    assert markdown_help(text) == (
        "Do a thing.\n\nExamples:\n\n```text\neojobs run elevation \\\n    -o resolution=30\n```")
