"""The dashboard tells the truth (issue 15), in real headless Chromium against real naras on a
real broker: the broker going down shows on every page; a restart and a kill read as what they
were, on the cards and in the timeline; the timeline filters by nara and kind; and a page with
1,000 naras applies live frames without refetching and stays responsive.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable

import pytest

from tests.conftest import Broker, NaraProcess
from tests.e2e import test_dashboard as dashboard
from tests.e2e.test_dashboard import PageWatch, card

browser = dashboard.browser  # the shared fixtures: one Chromium per module, watched pages
watch = dashboard.watch

pytestmark = pytest.mark.e2e
Spawn = Callable[..., NaraProcess]


def test_broker_down_banner_on_every_page(
    spawn_nara: Spawn, mosquitto: Broker, watch: Callable[[str], PageWatch]
) -> None:
    """With the broker stopped, every page says the plaza is unreachable and what that means for
    the figures, while the page itself stays live; with the broker back, the banner goes."""
    from playwright.sync_api import expect

    alice = spawn_nara("alice", broker=mosquitto, env={"NARA_MISSING_AFTER": "300"})
    spawn_nara("bob", broker=mosquitto, env={"NARA_MISSING_AFTER": "300"})
    w = watch("broker-down")
    page = w.page
    page.goto(alice.url + "/")
    expect(card(page, "bob")).to_have_attribute("data-status", "ONLINE")
    expect(page.get_by_test_id("plaza-state")).to_have_attribute("data-state", "connected")
    expect(page.get_by_test_id("plaza-banner")).to_have_count(0)
    expect(page.get_by_test_id("this-node")).to_contain_text(mosquitto.url)

    mosquitto.stop()
    banner = page.get_by_test_id("plaza-banner")
    expect(banner).to_have_attribute("data-state", "reconnecting")
    expect(banner).to_contain_text("unreachable")
    expect(banner).to_contain_text("missing")
    expect(page.get_by_test_id("connection-state")).to_have_attribute("data-state", "live")
    w.shot("banner")
    page.locator('a.nav__link:has-text("Timeline")').click()
    expect(page.get_by_test_id("plaza-banner")).to_have_attribute("data-state", "reconnecting")
    expect(page.locator('[data-testid="timeline-item"][data-kind="plaza"]').first).to_contain_text(
        "lost the plaza"
    )

    mosquitto.start()
    expect(page.get_by_test_id("plaza-banner")).to_have_count(0, timeout=45_000)
    expect(page.get_by_test_id("plaza-state")).to_have_attribute("data-state", "connected")
    assert w.problems == []


def test_alone_by_choice_says_so(spawn_nara: Spawn, watch: Callable[[str], PageWatch]) -> None:
    """A node with no broker configured says it is alone by choice, not that it is broken."""
    from playwright.sync_api import expect

    alice = spawn_nara("alice")
    w = watch("alone")
    w.page.goto(alice.url + "/")
    banner = w.page.get_by_test_id("plaza-banner")
    expect(banner).to_have_attribute("data-state", "alone")
    expect(banner).to_contain_text("Alone by choice")
    expect(w.page.get_by_test_id("this-node")).to_contain_text("none (alone)")
    assert w.problems == []


def test_restart_and_kill_read_as_what_they_were(
    spawn_nara: Spawn, mosquitto: Broker, watch: Callable[[str], PageWatch]
) -> None:
    """bob is stopped and started again, carol is killed: bob's card goes OFFLINE then ONLINE
    with a restart counted, carol's turns MISSING and says for how long, and the timeline reads
    "bob left", "bob restarted after …", "carol went missing" — one item each, no heartbeats;
    its nara and kind filters narrow it, and are kept in the URL."""
    from playwright.sync_api import expect

    alice = spawn_nara("alice", broker=mosquitto)
    bob = spawn_nara("bob", broker=mosquitto)
    carol = spawn_nara("carol", broker=mosquitto)
    w = watch("restart-kill")
    page = w.page
    page.goto(alice.url + "/")
    for name in ("bob", "carol"):
        expect(card(page, name)).to_have_attribute("data-status", "ONLINE")
    page.evaluate("window.__naraNoReload = true")

    bob.signal(signal.SIGTERM)
    assert bob.wait_exit(10) == 0
    expect(card(page, "bob")).to_have_attribute("data-status", "OFFLINE")
    expect(card(page, "bob").get_by_test_id("status-for")).to_contain_text("offline for")
    spawn_nara("bob", broker=mosquitto)
    expect(card(page, "bob")).to_have_attribute("data-status", "ONLINE")

    carol.proc.kill()
    carol.proc.wait(5)
    expect(card(page, "carol")).to_have_attribute("data-status", "MISSING")
    expect(card(page, "carol").get_by_test_id("status-for")).to_contain_text("missing for")
    expect(card(page, "carol").get_by_test_id("heartbeats")).to_be_visible()
    w.shot("cards")

    page.locator('a.nav__link:has-text("Timeline")').click()
    items = page.get_by_test_id("timeline-item")
    expect(items.filter(has_text="bob left")).to_have_count(1)
    expect(items.filter(has_text="bob restarted after")).to_have_count(1)
    expect(items.filter(has_text="carol went missing")).to_have_count(1)
    texts = items.all_text_contents()
    assert not any("joined" in t and "bob" in t and "restarted" not in t for t in texts[:1]), texts
    w.shot("timeline")

    page.get_by_test_id("nara-filter").fill("carol")
    expect(items.first).to_have_attribute("data-name", "carol")
    assert {items.nth(i).get_attribute("data-name") for i in range(items.count())} == {"carol"}
    assert "nara=carol" in page.url
    page.get_by_test_id("nara-filter").fill("")
    page.get_by_test_id("kind-missing").click()
    expect(items).to_have_count(1)
    expect(items.first).to_have_attribute("data-kind", "missing")
    assert "kind=missing" in page.url
    page.get_by_test_id("kind-all").click()
    page.get_by_test_id("timeline-mode-ledger").click()
    expect(page.get_by_test_id("ledger-item").first).to_be_visible()
    assert page.evaluate("window.__naraNoReload") is True, "the page reloaded"
    assert w.problems == []


LONG_TASKS = """() => {
  window.__longTasks = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) window.__longTasks.push(e.duration);
  }).observe({ type: 'longtask', buffered: false });
}"""


def test_a_thousand_naras_stay_responsive(
    spawn_nara: Spawn, mosquitto: Broker, watch: Callable[[str], PageWatch]
) -> None:
    """With 1,000 other naras known the page draws, applies live frames (100 chau) without one
    request for /narae.json, filters by name at once, and no main-thread task takes a second
    (figures printed for docs/security-notes/dashboard.md)."""
    from playwright.sync_api import expect

    from tests.integration.helpers import Plaza, Stranger, until

    alice = spawn_nara(
        "alice",
        "-new-naras-per-s",
        "1000",
        "-new-naras-burst",
        "2000",
        broker=mosquitto,
        env={"NARA_MISSING_AFTER": "600"},
    )
    plaza = Plaza(mosquitto.host, mosquitto.port)
    strangers = [Stranger.new(f"n{i:04d}") for i in range(1000)]
    try:
        for s in strangers:
            plaza.publish("nara/plaza/hey_there", s.hey_there().to_json())
        until(lambda: len(alice.statuses()) == 1001, 60, "1,000 strangers known")

        w = watch("thousand")
        page = w.page
        fetched: list[str] = []
        page.on("request", lambda r: fetched.append(r.url) if "narae.json" in r.url else None)
        started = time.monotonic()
        page.goto(alice.url + "/")
        expect(page.locator(".lede")).to_contain_text("1001 naras")
        expect(page.get_by_test_id("nara-card").first).to_be_visible()
        drawn_s = time.monotonic() - started
        page.evaluate(LONG_TASKS)

        for s in strangers[:100]:
            plaza.publish("nara/plaza/chau", s.chau().to_json())
        expect(page.get_by_test_id("filter-offline").locator(".count")).to_have_text("100")

        started = time.monotonic()
        page.get_by_test_id("name-filter").fill("n0999")
        expect(page.get_by_test_id("nara-card")).to_have_count(1)
        filter_s = time.monotonic() - started
        longest = max(page.evaluate("window.__longTasks") or [0])
        w.shot("thousand")
        print(
            f"\n1,001 naras: first cards drawn {drawn_s:.2f} s after navigation; 100 chau applied;"
            f" name filter {filter_s * 1000:.0f} ms; longest main-thread task {longest:.0f} ms;"
            f" /narae.json fetched {len(fetched)} times"
        )
        assert fetched == [], "the page refetched /narae.json instead of applying frames"
        assert longest < 1000, f"a main-thread task took {longest:.0f} ms"
        assert w.problems == []
    finally:
        plaza.close()
