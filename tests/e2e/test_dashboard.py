"""The dashboard and the docs in real headless Chromium (Debian's, driven by Playwright for Python;
no browser download), against real naras on a real broker.

A person opening a nara's address must see its neighbourhood live: both naras, a status change
without reloading, a profile, and the docs with a working offline search — with no console errors
and no failed requests, at the root and under a reverse-proxy base path. Screenshots are saved in
``test-artifacts/`` for a human to look at.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.conftest import ROOT, Broker, NaraProcess

pytestmark = pytest.mark.e2e

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = ROOT / "test-artifacts"
TIMEOUT_MS = 20_000


def chromium_path() -> str:
    for candidate in (os.environ.get("CHROMIUM"), shutil.which("chromium"), "/usr/bin/chromium"):
        if candidate and Path(candidate).exists():
            return candidate
    pytest.fail("chromium is not installed: run `make test` (it installs Debian's chromium)")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)  # shared machines are slow; waits end on success
    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield instance
        instance.close()


class PageWatch:
    """A page that records console errors, page errors and failed requests."""

    def __init__(self, browser: Any, name: str) -> None:
        self.name = name
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.page.set_default_timeout(TIMEOUT_MS)
        self.problems: list[str] = []
        self.page.on(
            "console",
            lambda m: (
                self.problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None
            ),
        )
        self.page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        self.page.on("requestfailed", self._failed)
        self.page.on(
            "response",
            lambda r: self.problems.append(f"HTTP {r.status} {r.url}") if r.status >= 400 else None,
        )

    def _failed(self, request: Any) -> None:
        failure = request.failure or ""
        # EventSource streams are aborted when we navigate or close: that is not a failure.
        if "/events" in request.url and "ERR_ABORTED" in failure:
            return
        self.problems.append(f"request failed: {request.url} ({failure})")

    def shot(self, label: str) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{self.name}-{label}.png"), full_page=True)

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def watch(browser: Any) -> Iterator[Callable[[str], PageWatch]]:
    pages: list[PageWatch] = []

    def make(name: str) -> PageWatch:
        page = PageWatch(browser, name)
        pages.append(page)
        return page

    yield make
    for page in pages:
        page.close()


def card(page: Any, name: str) -> Any:
    return page.locator(f'[data-testid="nara-card"][data-name="{name}"]')


def search_docs(w: PageWatch, base_url: str) -> None:
    """Open the docs, find the troubleshooting page through the offline search, and follow it."""
    from playwright.sync_api import expect

    page = w.page
    page.goto(base_url + "/docs/")
    page.locator("label.md-search__icon, .md-search__input").first.click()
    # The search index loads in a web worker; type once it says it is ready (material reacts to
    # key events, so type rather than fill).
    expect(page.locator(".md-search-result__meta")).not_to_contain_text("Initializing")
    page.locator("input.md-search__input").press_sequentially("noexec", delay=30)
    result = page.locator(".md-search-result__link").first
    expect(result).to_be_visible()
    w.shot("docs-search")
    result.click()
    expect(page).to_have_url(re.compile(re.escape(base_url) + r"/docs/troubleshooting/"))


def two_naras(
    spawn_nara: Callable[..., NaraProcess], mosquitto: Broker, *args: str
) -> tuple[NaraProcess, NaraProcess]:
    alice = spawn_nara("alice", *args, broker=mosquitto, env={"NARA_MISSING_AFTER": "30"})
    bob = spawn_nara("bob", *args, broker=mosquitto, env={"NARA_MISSING_AFTER": "30"})
    return alice, bob


def test_dashboard_live_profile_and_docs(
    spawn_nara: Callable[..., NaraProcess], mosquitto: Broker, watch: Callable[[str], PageWatch]
) -> None:
    """Both naras appear; bob's SIGTERM turns him OFFLINE live; his profile and the docs work."""
    from playwright.sync_api import expect

    alice, bob = two_naras(spawn_nara, mosquitto)
    w = watch("root")
    page = w.page
    page.goto(alice.url + "/")
    expect(card(page, "alice")).to_have_attribute("data-status", "ONLINE")
    expect(card(page, "bob")).to_have_attribute("data-status", "ONLINE")
    expect(page.get_by_test_id("connection-state")).to_have_attribute("data-state", "live")
    w.shot("neighbourhood")

    # Stop bob: his chau must reach the open page through /events, with no reload.
    page.evaluate("window.__naraNoReload = true")
    bob.signal(signal.SIGTERM)
    assert bob.wait_exit(10) == 0
    expect(card(page, "bob")).to_have_attribute("data-status", "OFFLINE")
    assert page.evaluate("window.__naraNoReload") is True, "the page reloaded"
    w.shot("bob-offline")

    # Open bob's profile from his card.
    card(page, "bob").get_by_role("link").first.click()
    expect(page.get_by_test_id("profile-name")).to_contain_text("bob")
    assert page.url.endswith("/nara/bob")
    expect(page.get_by_test_id("history-item").first).to_be_visible()
    w.shot("bob-profile")

    # Deep link to the timeline works (the server answers client routes with the app).
    page.goto(alice.url + "/timeline")
    expect(page.get_by_test_id("timeline-item").first).to_be_visible()
    w.shot("timeline")

    search_docs(w, alice.url)
    assert w.problems == []


def test_dashboard_under_a_base_path(
    spawn_nara: Callable[..., NaraProcess], mosquitto: Broker, watch: Callable[[str], PageWatch]
) -> None:
    """Behind a proxy at /nara every asset, API call, /events and the docs use the prefix."""
    from playwright.sync_api import expect

    alice, bob = two_naras(spawn_nara, mosquitto, "-base-path", "/nara")
    assert alice.url.endswith("/nara")
    w = watch("base-path")
    page = w.page
    outside: list[str] = []
    page.on(
        "request",
        lambda r: outside.append(r.url) if not r.url.startswith(alice.url + "/") else None,
    )
    page.goto(alice.url + "/")
    expect(card(page, "alice")).to_have_attribute("data-status", "ONLINE")
    expect(card(page, "bob")).to_have_attribute("data-status", "ONLINE")
    expect(page.get_by_test_id("connection-state")).to_have_attribute("data-state", "live")
    bob.signal(signal.SIGTERM)
    expect(card(page, "bob")).to_have_attribute("data-status", "OFFLINE")
    w.shot("neighbourhood")
    search_docs(w, alice.url)
    assert outside == [], f"requests outside the base path: {outside}"
    assert w.problems == []


def test_phone_width_dark_mode_and_keyboard(
    spawn_nara: Callable[..., NaraProcess], mosquitto: Broker, browser: Any
) -> None:
    """At a phone's width (360 px) in dark mode nothing overflows sideways, and a keyboard user
    can reach a nara's profile with Tab and Enter alone."""
    from playwright.sync_api import expect

    alice, _bob = two_naras(spawn_nara, mosquitto)
    context = browser.new_context(
        viewport={"width": 360, "height": 780}, color_scheme="dark", device_scale_factor=2
    )
    try:
        page = context.new_page()
        page.goto(alice.url + "/")
        expect(card(page, "bob")).to_have_attribute("data-status", "ONLINE")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        rgb = [int(x) for x in re.findall(r"\d+", background)[:3]]
        assert sum(rgb) < 3 * 100, f"dark mode background is {background}"
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "phone-dark.png"), full_page=True)
        # Keyboard only: Tab until bob's card link has focus, then Enter.
        for _ in range(40):
            page.keyboard.press("Tab")
            focused = page.evaluate(
                "document.activeElement && document.activeElement.getAttribute('href') || ''"
            )
            if focused.endswith("/nara/bob"):
                break
        else:
            raise AssertionError("bob's card is not reachable with the keyboard")
        page.keyboard.press("Enter")
        expect(page.get_by_test_id("profile-name")).to_contain_text("bob")
    finally:
        context.close()


# Hostile-but-valid peer text: names are restricted by the core, every other field is the peer's.
XSS = "<img src=x onerror=alert(1)>"
HOSTILE_FIELDS: dict[str, Any] = {
    "flair": XSS + "</script><script>alert(2)</script>",
    "trend": '"><svg onload=alert(3)>',
    "trend_emoji": "<b>!</b>",
    "license_plate": "\u202eRTL</textarea>",
    "version": "</script><!--",
    "public_url": "javascript:alert(4)",
}
BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")
INJECTION_PROBE = """() => ({
  handlers: document.querySelectorAll('[onerror],[onload],[onclick],[onmouseover]').length,
  images: [...document.images].map((i) => i.getAttribute('src')),
  inlineScripts: [...document.scripts].filter((s) => !s.src).length,
  foreignScripts: [...document.scripts]
    .filter((s) => s.src && new URL(s.src).origin !== location.origin).length,
  badLinks: [...document.querySelectorAll('a[href]')]
    .map((a) => a.getAttribute('href'))
    .filter((h) => !['http:', 'https:'].includes(new URL(h, location.href).protocol)),
  markup: [...document.querySelectorAll('svg[onload], b, textarea, iframe, object, embed')]
    .filter((e) => e.closest('[data-testid="nara-card"], .hero')  && e.tagName !== 'svg').length,
})"""


def hostile_peers(plaza: Any, alice: NaraProcess) -> tuple[Any, Any]:
    """Two peers announced on the plaza: one with markup, a javascript: URL and an RTL override
    in its status, one with an https URL carrying markup."""
    from nara.core.status import Aura
    from tests.integration.helpers import Stranger, until

    mallory = Stranger.new("mallory")
    trudy = Stranger.new("trudy")
    papers = [
        (mallory, mallory.newspaper(**HOSTILE_FIELDS, aura=Aura("red;}</style>", "url(x)"))),
        (trudy, trudy.newspaper(flair="🦊", public_url='https://example.org/"><img src=x>')),
    ]
    for peer, paper in papers:
        plaza.publish("nara/plaza/hey_there", peer.hey_there().to_json())
        plaza.publish(f"nara/newspaper/{peer.name}", paper)
    for peer, _ in papers:

        def kept(peer: Stranger = peer) -> bool:
            return bool(alice.json(f"/profile/{peer.name}.json")["public_url"])

        until(kept, 15, f"{peer.name}'s newspaper kept by alice")
    return mallory, trudy


def assert_nothing_injected(page: Any, dialogs: list[str], where: str) -> None:
    probe = page.evaluate(INJECTION_PROBE)
    assert probe["handlers"] == 0, (where, probe)
    assert "x" not in probe["images"], (where, probe)
    assert probe["inlineScripts"] == 0 and probe["foreignScripts"] == 0, (where, probe)
    assert probe["badLinks"] == [], (where, probe)
    assert probe["markup"] == 0, (where, probe)
    assert dialogs == [], (where, dialogs)


def test_hostile_peer_text_renders_as_text(
    spawn_nara: Callable[..., NaraProcess], mosquitto: Broker, watch: Callable[[str], PageWatch]
) -> None:
    """Peers whose Flair, Trend, TrendEmoji, LicensePlate, Version, Aura and PublicUrl carry
    markup, script end tags, an RTL override and a javascript: URL appear on the neighbourhood
    and on their profiles as plain text: no element is injected, no dialog opens, nothing is
    requested from ``src=x``, no console error, no navigation; only an http(s) PublicUrl
    becomes a link."""
    from playwright.sync_api import expect

    from tests.integration.helpers import Plaza

    alice = spawn_nara("alice", broker=mosquitto, env={"NARA_MISSING_AFTER": "300"})
    plaza = Plaza(mosquitto.host, mosquitto.port)
    try:
        mallory, trudy = hostile_peers(plaza, alice)
    finally:
        plaza.close()
    w = watch("hostile")
    page = w.page
    dialogs: list[str] = []

    def on_dialog(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)

    page.goto(alice.url + "/")
    expect(card(page, mallory.name)).to_have_attribute("data-status", "ONLINE")
    expect(card(page, trudy.name)).to_have_attribute("data-status", "ONLINE")
    page.evaluate("window.__naraNoReload = true")
    flair = card(page, mallory.name).locator(".nara-card__flair")
    expect(flair).to_contain_text(HOSTILE_FIELDS["flair"])
    expect(flair).to_contain_text(HOSTILE_FIELDS["trend_emoji"])
    w.shot("neighbourhood")
    assert_nothing_injected(page, dialogs, "neighbourhood")

    # mallory's profile: every field as text, the javascript: URL not a link.
    card(page, mallory.name).get_by_role("link").first.click()
    expect(page.get_by_test_id("profile-name")).to_contain_text(mallory.name)
    hero = page.locator(".hero__flair")
    expect(hero).to_contain_text(HOSTILE_FIELDS["flair"])
    expect(hero).to_contain_text(HOSTILE_FIELDS["trend"])
    plate = BIDI.sub("", page.locator(".plate").text_content() or "")
    assert plate == BIDI.sub("", HOSTILE_FIELDS["license_plate"]), plate
    expect(page.get_by_text(HOSTILE_FIELDS["public_url"], exact=True)).to_be_visible()
    assert page.locator('a[href^="javascript"]').count() == 0
    w.shot("mallory-profile")
    assert_nothing_injected(page, dialogs, "mallory's profile")

    # trudy's https URL is a link, its markup kept inside the href as text. (In-app navigation
    # only: a page load would abort the dashboard's refetches, which PageWatch counts.)
    page.locator(".crumbs__back").click()
    card(page, trudy.name).get_by_role("link").first.click()
    expect(page.get_by_test_id("profile-name")).to_contain_text(trudy.name)
    link = page.locator('a[href^="https://example.org/"]')
    expect(link).to_have_count(1)
    expect(link).to_have_text('https://example.org/"><img src=x>')
    assert link.get_attribute("rel") == "noopener noreferrer"
    assert_nothing_injected(page, dialogs, "trudy's profile")

    # The timeline lists their events without trouble either.
    page.locator(f'a.nav__link[href="{urlsplit(alice.url).path}/timeline"]').click()
    expect(page.get_by_test_id("timeline-item").first).to_be_visible()
    assert_nothing_injected(page, dialogs, "timeline")
    assert page.evaluate("window.__naraNoReload") is True, "the page reloaded"
    assert page.url == alice.url + "/timeline"
    assert w.problems == []
