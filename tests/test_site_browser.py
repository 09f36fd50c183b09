"""The built site in a real browser (Debian's Chromium, driven by Playwright).

Builds the docs with Sphinx, serves them on 127.0.0.1, and checks what a
reader meets: every page loads without console errors or failed requests, each
console block's copy button copies exactly its commands, each block carries a
verification badge, and search finds "bind mount". One screenshot per page is
kept in build/screenshots/ (a CI artifact).
"""

from __future__ import annotations

import functools
import http.server
import subprocess
import sys
import threading

import pytest
from conftest import ROOT, browser_binary

from verify_tutorial.collect import collect_page

pytestmark = pytest.mark.browser

PAGES = ["index", "why", "concepts", "example", "gpus", "makefile", "advanced", "resources", "proof"]
SCREENSHOTS = ROOT / "build" / "screenshots"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The real site, built once for this module and served on a free local port."""
    html = tmp_path_factory.mktemp("site")
    build = subprocess.run(
        [sys.executable, "-m", "sphinx", "-q", "-n", "-W", "--keep-going", "-b", "html", "docs", str(html)],
        cwd=ROOT, capture_output=True, text=True,
    )  # fmt: skip
    assert build.returncode == 0, build.stderr
    handler = functools.partial(QuietHandler, directory=str(html))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # the test reports failures itself
        pass


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=browser_binary(),
            args=["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(
        permissions=["clipboard-read", "clipboard-write"], viewport={"width": 1280, "height": 900}
    )
    tab = context.new_page()
    tab.problems = []
    tab.on("console", lambda m: m.type == "error" and tab.problems.append(f"console: {m.text}"))
    tab.on("pageerror", lambda e: tab.problems.append(f"script error: {e}"))
    tab.on("requestfailed", lambda r: tab.problems.append(f"request failed: {r.url} ({r.failure})"))
    tab.on("response", lambda r: r.status >= 400 and tab.problems.append(f"HTTP {r.status}: {r.url}"))
    yield tab
    context.close()


def load(page, url: str, attempts: int = 3) -> None:
    """Open url; retry when Chromium aborted requests because the host's network changed
    (a container starting or stopping adds or removes an interface): not the site's fault."""
    for _ in range(attempts):
        page.problems.clear()
        page.goto(url, wait_until="networkidle")
        if not any("ERR_NETWORK_CHANGED" in problem for problem in page.problems):
            return


@pytest.mark.parametrize("name", PAGES)
def test_page_loads_cleanly(site, page, name):
    load(page, f"{site}/{name}.html")
    assert page.locator("h1").first.is_visible()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)
    assert page.problems == []


@pytest.mark.parametrize("name", ["concepts", "example", "gpus", "makefile", "advanced"])
def test_copy_button_copies_only_the_commands(site, page, name):
    blocks = collect_page(ROOT / "docs" / f"{name}.md")
    load(page, f"{site}/{name}.html")
    shown = page.locator("div.highlight-console")
    assert shown.count() == len(blocks)
    for index, block in enumerate(blocks):
        expected = "\n".join(command.text for command in block.commands)
        button = shown.nth(index).locator("button.copybtn")
        if shown.nth(index).is_visible():
            shown.nth(index).hover()
            button.click()
        else:  # inside a tab not selected: the reader would open the tab first
            button.dispatch_event("click")
        copied = page.evaluate("navigator.clipboard.readText()")
        assert copied == expected, f"{name}.md:{block.line}"


def test_every_console_block_carries_a_badge(site, page):
    for name in ("example", "gpus", "advanced"):
        page.goto(f"{site}/{name}.html")
        blocks = page.locator("div.highlight-console")
        badges = page.locator("div.highlight-console + div.proof")
        assert blocks.count() > 0 and badges.count() == blocks.count(), name
        assert page.locator("div.proof[class*='proof-page-']").count() == 1, name
        text = badges.first.inner_text()
        assert text.startswith(("Verified", "Not run", "Partly", "Failed", "Not verified yet")), text


def test_summary_page_lists_every_command_or_says_how_to_get_results(site, page):
    page.goto(f"{site}/proof.html")
    rows = page.locator("table.proof-summary tbody tr")
    if (ROOT / "build" / "verify" / "results.json").is_file():
        assert rows.count() > 10
    else:
        assert "run nox -s verify-tutorial" in page.inner_text("article")


def test_search_finds_bind_mount(site, page):
    page.goto(f"{site}/search.html?q=bind+mount")
    page.wait_for_selector("ul.search li", timeout=30_000)
    links = page.locator("ul.search li a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert any("example.html" in link for link in links), links
