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
