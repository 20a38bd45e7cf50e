"""Teases in the dashboard, in real headless Chromium against a real nara under a base path:
a profile's Teases panel (verified and hearsay marked), the burst for a live tease, its toggle
kept in localStorage, and no burst under prefers-reduced-motion (phone width, dark)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from nara.core.events import make_social
from tests.conftest import Broker, NaraProcess
from tests.e2e.test_dashboard import PageWatch, browser, watch  # noqa: F401 (fixtures)
from tests.integration.helpers import Plaza, Stranger, now_ns, until

pytestmark = pytest.mark.e2e


@pytest.fixture
def plaza(mosquitto: Broker) -> Iterator[Plaza]:
    client = Plaza(mosquitto.host, mosquitto.port)
    yield client
    client.close()


def tease(plaza: Plaza, who: Stranger, target: str, reason: str = "comeback") -> None:
    ev = make_social(who.key, who.name, "tease", who.name, target, reason, now_ns())
    plaza.publish("nara/plaza/social", ev.to_json())


def test_teases_panel_bursts_and_their_toggle(
    spawn_nara: Callable[..., NaraProcess],
    mosquitto: Broker,
    plaza: Plaza,
    watch: Callable[[str], PageWatch],  # noqa: F811
    browser: Any,  # noqa: F811
) -> None:
    from playwright.sync_api import expect

    node = spawn_nara("keeper", "-base-path", "/nara", broker=mosquitto)
    bob, mallory = Stranger.new("bob"), Stranger.new("mallory")
    plaza.publish("nara/plaza/hey_there", bob.hey_there().to_json())
    until(lambda: bob.name in {n["Name"] for n in node.json("/api.json")["naras"]}, 15, "bob known")
    tease(plaza, bob, "keeper", "high-restarts")
    tease(plaza, mallory, bob.name)  # a stranger's: hearsay
    until(lambda: len(node.json("/social/recent")["events"] or []) == 2, 15, "both kept")

    w = watch("teases")
    page = w.page
    page.goto(f"{node.url}/nara/{bob.name}")
    panel = page.get_by_test_id("teases")
    expect(panel.get_by_test_id("tease")).to_have_count(2)
    expect(panel.locator('[data-verified="true"]')).to_contain_text("gave")
    expect(panel.get_by_test_id("hearsay")).to_have_text(f"hearsay via {mallory.name}")
    expect(page.get_by_test_id("connection-state")).to_have_attribute("data-state", "live")

    # A live tease: a burst, and the panel refreshes.
    tease(plaza, bob, "keeper", "comeback")
    expect(page.get_by_test_id("tease-burst").first).to_be_attached()
    expect(panel.get_by_test_id("tease")).to_have_count(3)
    w.shot("profile")

    # Off, and still off after a reload: no burst.
    page.get_by_test_id("tease-bursts").uncheck()
    page.reload()
    expect(page.get_by_test_id("tease-bursts")).not_to_be_checked()
    expect(page.get_by_test_id("connection-state")).to_have_attribute("data-state", "live")
    tease(plaza, bob, "keeper", "high-restarts")
    # (comeback and high-restarts are kept by every personality: sync_helpers.go:3-59)
    expect(panel.get_by_test_id("tease")).to_have_count(4)
    expect(page.get_by_test_id("tease-burst")).to_have_count(0)
    # The timeline has the verified teases as rows (hearsay is not news).
    page.goto(f"{node.url}/timeline?kind=tease")
    rows = page.locator('[data-testid="timeline-item"][data-kind="tease"]')
    expect(rows.first).to_contain_text(f"{bob.name} teased keeper")
    expect(page.get_by_text(mallory.name)).to_have_count(0)
    # Best friends on keeper's profile (bob teased it most), and bob on the clout ladder.
    page.goto(f"{node.url}/nara/keeper")
    expect(page.get_by_test_id("best-friend-from")).to_contain_text(f"teased most by {bob.name}")
    until(lambda: bob.name in node.json("/social/clout")["clout"], 30, "bob's clout")
    page.get_by_role("link", name="Projections").click()
    page.wait_for_url("**/nara/projections")
    rung = page.locator(f'[data-testid="clout-rung"][data-name="{bob.name}"]')
    expect(rung).to_be_visible()
    expect(page.get_by_test_id("clout-rung")).to_have_count(1)  # mallory's hearsay counts not
    rung.get_by_role("link", name="events").click()
    page.wait_for_url(f"**/projections?nara={bob.name}")
    assert w.problems == []

    # Phone width, dark, reduced motion: the panel fits and a live tease makes no burst.
    context = browser.new_context(
        viewport={"width": 360, "height": 780}, color_scheme="dark", reduced_motion="reduce"
    )
    try:
        phone = context.new_page()
        phone.goto(f"{node.url}/nara/{bob.name}")
        expect(phone.get_by_test_id("tease")).to_have_count(4)
        expect(phone.get_by_test_id("connection-state")).to_have_attribute("data-state", "live")
        tease(plaza, bob, "keeper", "comeback")
        expect(phone.get_by_test_id("tease")).to_have_count(5)
        expect(phone.get_by_test_id("tease-burst")).to_have_count(0)
        assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    finally:
        context.close()
