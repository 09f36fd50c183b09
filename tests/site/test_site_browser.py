"""The built site in a real browser (Debian's Chromium, driven by Playwright).

Builds the docs with Sphinx, serves them on 127.0.0.1, and checks what a
reader meets: every page loads without console errors or failed requests, each
console block's copy button copies exactly its commands, each block carries a
verification badge, search finds "bind mount", the template downloaded through
the start page's link unpacks and answers `make help`, no code block on the
newer pages scrolls sideways at 1280 px, and a verified block's recorded run
plays from the site itself. Screenshots, named by page, width and colour
scheme, are kept in build/screenshots/ (a CI artifact).
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import subprocess
import sys
import threading
import zipfile

import pytest
from conftest import FIXTURES, ROOT, browser_binary

from verify_tutorial.parsing.pages import collect_page
from verify_tutorial.reporting.cast import cast_name, cast_path
from verify_tutorial.reporting.results import Result, RunInfo, Status, write_results

pytestmark = pytest.mark.browser

PAGES = [
    "index", "start", "why", "concepts", "example", "gpu-host", "gpus", "makefile", "data",
    "workstation", "own-project", "editor", "advanced", "troubleshooting", "resources", "proof", "testing",
]  # fmt: skip
# Pages with console blocks whose copy buttons and badges are checked.
CONSOLE_PAGES = ["start", "concepts", "example", "gpu-host", "gpus", "makefile", "advanced", "troubleshooting"]
# Pages written with every code line short enough for a 1280 px window: every page
# with code blocks but example and makefile, which include template files (the
# Dockerfile, the Makefile) and commands with longer lines.
NARROW_PAGES = [
    "start",
    "why",
    "concepts",
    "gpu-host",
    "example",
    "gpus",
    "makefile",
    "data",
    "workstation",
    "cluster",
    "sharing",
    "advanced",
    "troubleshooting",
    "testing",
]
SCREENSHOTS = ROOT / "build" / "screenshots"


# The status each console block is given in the site's own results file, by its
# place in the guide: known in advance, so each badge can be checked.
STATUSES = (Status.PASSED, Status.SKIPPED, Status.FAILED)
BADGE = {Status.PASSED: "proof-verified", Status.SKIPPED: "proof-skipped", Status.FAILED: "proof-failed"}


def planted_statuses() -> dict[str, list[Status]]:
    """For each console page, the status of each of its blocks in the planted results."""
    planted, index = {}, 0
    for name in CONSOLE_PAGES:
        planted[name] = []
        for _block in collect_page(ROOT / "docs" / f"{name}.md"):
            planted[name].append(STATUSES[index % len(STATUSES)])
            index += 1
    return planted


def recorded_run(folder) -> str:
    """A real recorded run: tests/fixtures/cast's page, run by the verifier with no engine.
    It prints a line, waits 3 s (longer than the idle limit), and prints another; its
    hidden setup prints HIDDEN-SETUP-STEP, which no player may show."""
    shutil.copytree(FIXTURES / "cast", folder)
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_DISABLE_PLUGIN_AUTOLOAD"}
    done = subprocess.run(
        [sys.executable, "-m", "verify_tutorial"], cwd=folder, capture_output=True, text=True, env=env
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    (cast,) = (folder / "build" / "verify" / "casts").rglob("*.cast")
    return cast.read_text(encoding="utf-8")


def write_planted_results(path, cast: str) -> None:
    """The planted results; every verified block's recorded run is the fixture's cast."""
    entries = []
    for name, statuses in planted_statuses().items():
        page = f"docs/{name}.md"
        for block, status in zip(collect_page(ROOT / "docs" / f"{name}.md"), statuses, strict=True):
            reason = "needs a GPU machine (--target gpu)" if status is Status.SKIPPED else ""
            recorded = cast_name(page, block.line) if status is Status.PASSED else ""
            if recorded:
                cast_path(path.parent, page, block.line).parent.mkdir(parents=True, exist_ok=True)
                cast_path(path.parent, page, block.line).write_text(cast, encoding="utf-8")
            for command in block.commands:
                entries.append(Result(page, command.line, command.text, status, reason, cast=recorded))
    write_results(path, entries, RunInfo("cpu", "20.10.24"), wall=1.0, root=ROOT)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The real site, built once for this module with results of its own (not whatever
    an earlier run left in build/verify), and served on a free local port."""
    html = tmp_path_factory.mktemp("site")
    results = tmp_path_factory.mktemp("results") / "results.json"
    write_planted_results(results, recorded_run(tmp_path_factory.mktemp("cast") / "project"))
    build = subprocess.run(
        [sys.executable, "-m", "sphinx", "-q", "-n", "-W", "--keep-going", "-b", "html",
         "-D", f"proof_results={results}", "docs", str(html)],
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
    page.screenshot(path=SCREENSHOTS / f"{name}-1280-light.png", full_page=True)
    assert page.problems == []


@pytest.mark.parametrize("name", CONSOLE_PAGES)
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


def test_every_console_block_carries_the_badge_of_its_own_result(site, page):
    for name, statuses in planted_statuses().items():
        page.goto(f"{site}/{name}.html")
        blocks = page.locator("div.highlight-console")
        badges = page.locator("div.highlight-console + div.proof")
        assert blocks.count() == len(statuses) and badges.count() == blocks.count(), name
        assert page.locator("div.proof[class*='proof-page-']").count() == 1, name
        shown = badges.evaluate_all("badges => badges.map(b => b.className)")
        wanted = [BADGE[status] for status in statuses]
        assert [next(c for c in cls.split() if c in BADGE.values()) for cls in shown] == wanted, name
        # The one line a reader sees (tabs hide some blocks, so read the text, not what shows).
        lines = badges.evaluate_all("badges => badges.map(b => b.querySelector('summary').textContent.trim())")
        for line, status in zip(lines, statuses, strict=True):
            if status is Status.SKIPPED:
                assert line == "\u2013 Not run: needs a GPU machine", line  # in a reader's words, no flags
            elif status is Status.PASSED:
                assert re.fullmatch(
                    r"\u2713 Verified \d{1,2} \w{3} \d{4} \u00b7 Docker 20\.10 \u00b7 \d+ commands?", line
                ), line
        # Output of a block not run is marked apart from verified output.
        skipped = blocks.evaluate_all("bs => bs.map(b => b.classList.contains('proof-output-skipped'))")
        assert skipped == [status is Status.SKIPPED for status in statuses], name


def test_summary_page_lists_every_planted_command(site, page):
    page.goto(f"{site}/proof.html")
    rows = page.locator("table.proof-summary tbody tr:not(.proof-page-row)")
    planted = sum(len(block.commands) for name in CONSOLE_PAGES for block in collect_page(ROOT / "docs" / f"{name}.md"))
    assert rows.count() == planted


def test_search_finds_bind_mount(site, page):
    page.goto(f"{site}/search.html?q=bind+mount")
    page.wait_for_selector("ul.search li", timeout=30_000)
    links = page.locator("ul.search li a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert any("example.html" in link for link in links), links


@pytest.mark.parametrize("name", NARROW_PAGES)
def test_code_blocks_fit_the_page_at_1280_px(site, page, name):
    """A reader at 1280 px never scrolls a code block sideways: long commands are wrapped with `\\`."""
    load(page, f"{site}/{name}.html")
    assert page.viewport_size["width"] == 1280
    blocks = page.locator("div.highlight pre")
    assert blocks.count() > 0, name
    sizes = blocks.evaluate_all(
        """blocks => blocks.map(pre => ({
            scroll: pre.scrollWidth,
            client: pre.clientWidth,
            widest: pre.textContent.split("\\n").reduce((a, b) => (b.length > a.length ? b : a), ""),
        }))"""
    )
    too_wide = [f"{s['scroll']} > {s['client']} px: {s['widest']}" for s in sizes if s["scroll"] > s["client"]]
    assert too_wide == [], f"{name}.html: code blocks that scroll sideways:\n" + "\n".join(too_wide)


def template_files() -> set[str] | None:
    """The template's files as the repository tracks them, or None without git."""
    listing = subprocess.run(
        ["git", "-C", str(ROOT), "ls-files", "-z", "--", "docker-practice"], capture_output=True
    )  # fmt: skip
    if listing.returncode != 0:
        return None
    return {name for name in listing.stdout.decode().split("\0") if name and (ROOT / name).is_file()}


def test_template_download_unpacks_and_make_help_runs(site, page, tmp_path):
    load(page, f"{site}/start.html")
    link = page.locator("a.download[href$='docker-practice.zip']")
    assert link.count() == 1
    with page.expect_download() as download:
        link.click()
    archive = tmp_path / "docker-practice.zip"
    download.value.save_as(archive)

    with zipfile.ZipFile(archive) as zipped:
        assert zipped.testzip() is None
        names = set(zipped.namelist())
        zipped.extractall(tmp_path / "unpacked")
    assert all(name.startswith("docker-practice/") for name in names), sorted(names)
    assert not [name for name in names if "__pycache__" in name or name.endswith(".pyc")]
    tracked = template_files()
    if tracked is not None:  # every file of the template, the hidden .dockerignore included
        assert tracked <= names, sorted(tracked - names)

    make = shutil.which("make")
    assert make is not None, "make is needed to run the template"
    folder = tmp_path / "unpacked" / "docker-practice"
    unpacked = subprocess.run([make, "help"], cwd=folder, capture_output=True, text=True)
    original = subprocess.run([make, "help"], cwd=ROOT / "docker-practice", capture_output=True, text=True)
    assert unpacked.returncode == 0, unpacked.stderr
    assert "docker-build-cpu" in unpacked.stdout
    assert unpacked.stdout == original.stdout


# The pages with the new pictures, charts and tables, at a phone's and a laptop's width,
# in light and dark mode (furo follows the browser's colour scheme).
LOOKS = ["index", "concepts", "example", "advanced", "proof"]


@pytest.fixture(params=[(w, s) for w in (390, 1280) for s in ("light", "dark")], ids=lambda p: f"{p[0]}-{p[1]}")
def looking(browser, request):
    width, scheme = request.param
    context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=scheme)
    tab = context.new_page()
    tab.requested = []
    tab.on("request", lambda r: tab.requested.append(r.url))
    yield tab, width, scheme
    context.close()


@pytest.mark.parametrize("name", LOOKS)
def test_pages_read_at_both_widths_in_both_schemes(site, looking, name):
    tab, width, scheme = looking
    tab.goto(f"{site}/{name}.html", wait_until="networkidle")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=SCREENSHOTS / f"{name}-{width}-{scheme}.png", full_page=True)
    # The site asks nothing of any other host: fonts, scripts and pictures are all its own.
    elsewhere = [url for url in tab.requested if not url.startswith(site) and not url.startswith("data:")]
    assert elsewhere == [], elsewhere
    # furo draws the scheme the browser asks for.
    dark = tab.evaluate("""() => {
        const [r, g, b] = getComputedStyle(document.body).backgroundColor.match(/\\d+/g).map(Number);
        return r + g + b < 3 * 128;
    }""")
    assert dark == (scheme == "dark"), name
    # Nothing is wider than the window, pictures and charts included.
    assert tab.evaluate("document.documentElement.scrollWidth") <= width, name
    # concepts.md is long enough that a reader at 1280 px needs its contents beside the text.
    if width == 1280 and (name == "concepts" or tab.locator(".toc-tree a").count() > 1):
        box = tab.locator("aside.toc-drawer .toc-tree").bounding_box()  # on screen, not in a drawer off it
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= width, f"{name}: no table of contents at 1280 px"


def test_a_verified_blocks_recorded_run_plays_from_the_site(site, looking):
    """Open a verified badge, start its player, watch the first frame change; every
    request, the player's and the cast's, goes to the site itself."""
    tab, width, scheme = looking
    tab.goto(f"{site}/start.html", wait_until="networkidle")
    details = tab.locator("div.proof-verified details >> visible=true").first
    assert details.get_attribute("open") is None, "the badge starts closed"
    assert details.locator(".ap-player").count() == 0, "no player is made before the reader asks"
    details.locator("summary").click()
    details.locator("div.proof-player .ap-player").wait_for()
    said = details.locator("p.proof-cast").text_content()
    assert re.fullmatch(
        r"The recorded run \(Docker 20\.10, \d{1,2} \w{3} \d{4}\) took 3\.\d s; "
        r"waits over 2 s are shortened in playback\.",
        said,
    ), said
    details.locator(".ap-overlay-start").click()
    terminal = details.locator(".ap-terminal")
    tab.wait_for_function("t => t.textContent.includes('first frame')", arg=terminal.element_handle())
    first = terminal.text_content()
    assert "after the wait" not in first
    tab.wait_for_function("t => t.textContent.includes('after the wait')", arg=terminal.element_handle())
    last = terminal.text_content()
    assert last != first
    assert "HIDDEN-SETUP-STEP" not in first + last  # the block's hidden setup stays out of its cast
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    details.scroll_into_view_if_needed()
    tab.screenshot(path=SCREENSHOTS / f"start-{width}-{scheme}-player.png")
    casts = [url for url in tab.requested if url.endswith(".cast")]
    assert len(casts) == 1 and re.fullmatch(re.escape(site) + r"/_casts/docs/start\.md/\d+\.cast", casts[0]), casts
    players = [url for url in tab.requested if "asciinema-player" in url]
    assert players and all(url.startswith(site) for url in players), players
    elsewhere = [url for url in tab.requested if not url.startswith(site) and not url.startswith("data:")]
    assert elsewhere == [], elsewhere
    assert tab.evaluate("document.documentElement.scrollWidth") <= width


def test_the_pictures_are_drawn_as_transparent_svg(site, page):
    for name, wanted in (("index", 1), ("concepts", 2)):  # concepts: the writable layers, Docker and Apptainer
        load(page, f"{site}/{name}.html")
        # As <img>: Chromium keeps an image's transparent background in dark mode (an <object>'s it paints white).
        pictures = page.locator("div.graphviz img[src$='.svg']")
        assert pictures.count() >= wanted, name
        assert page.locator("object.graphviz").count() == 0, name
        for src in pictures.evaluate_all("imgs => imgs.map(i => i.src)"):
            drawn = page.request.get(src).text()
            assert "<svg" in drawn and 'fill="white"' not in drawn.split('<g id="node1"')[0], src


def test_proof_commands_wrap_between_words_on_a_phone(site, browser):
    context = browser.new_context(viewport={"width": 390, "height": 900})
    tab = context.new_page()
    tab.goto(f"{site}/proof.html", wait_until="networkidle")
    # One header for the whole table, and the summary before it.
    assert tab.locator("table.proof-summary thead").count() == 1
    assert tab.locator("table.proof-totals").count() == 1
    # A command breaks between words; only a word wider than the column breaks inside,
    # and then into lines of at least a dozen characters, never one character a line.
    shapes = tab.locator("table.proof-summary tbody td:nth-child(2) code").evaluate_all(
        """codes => codes.map(c => ({
            text: c.textContent,
            lines: c.getClientRects().length,
        }))"""
    )
    assert shapes, "no commands listed"
    squeezed = [
        s["text"] for s in shapes if s["lines"] > max(1, len(s["text"].split())) and len(s["text"]) / s["lines"] < 12
    ]
    assert squeezed == [], f"commands broken inside words at 390 px: {squeezed[:3]}"
    context.close()
