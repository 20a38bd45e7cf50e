"""The projections page in real headless Chromium against a real nara on a real broker, under a
base path: a stranger's hey-there and newspaper become an ONLINE opinion with an uptime timeline
and the events behind it, each linking to its detail page; desktop light, phone dark."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import Broker, NaraProcess
from tests.e2e.test_dashboard import ARTIFACTS, PageWatch, browser, watch  # noqa: F401 (fixtures)
from tests.integration.helpers import Plaza, Stranger, until

pytestmark = pytest.mark.e2e


def test_projections_show_opinion_uptime_and_source_events(
    spawn_nara: Callable[..., NaraProcess],
    mosquitto: Broker,
    browser: Any,  # noqa: F811
    watch: Callable[[str], PageWatch],  # noqa: F811
) -> None:
    from playwright.sync_api import expect

    node = spawn_nara("keeper", "-base-path", "/nara", broker=mosquitto)
    peer = Stranger.new("peer")
    hey = peer.hey_there()
    plaza = Plaza(mosquitto.host, mosquitto.port)
    try:
        plaza.publish("nara/plaza/hey_there", hey.to_json())
        plaza.publish(f"nara/newspaper/{peer.name}", peer.newspaper())
        until(
            lambda: any(
                e["id"] == hey.id
                for e in node.json(f"/api/inspector/events?subject={peer.name}")["events"]
            ),
            15,
            "the hey_there about the peer",
        )
    finally:
        plaza.close()

    w = watch("projections")
    page = w.page
    page.goto(node.url + "/")
    page.get_by_role("link", name="Projections").click()
    page.wait_for_url("**/nara/projections")
    page.get_by_test_id("projection-pick").select_option(peer.name)
    page.wait_for_url(f"**/projections?nara={peer.name}")
    proj = page.locator(f'[data-testid="projection"][data-name="{peer.name}"]')
    expect(proj.get_by_test_id("opinion-status")).to_contain_text("ONLINE", ignore_case=True)
    expect(proj.get_by_test_id("opinion-baseline")).to_contain_text("own observations")
    expect(proj.get_by_test_id("uptime-bar")).to_be_visible()
    ladder = page.get_by_test_id("clout-ladder")
    expect(ladder).to_contain_text("Nobody has clout yet")  # nobody teased anybody here
    source = proj.locator(f'[data-testid="projection-event"][data-id="{hey.id}"]')
    expect(source).to_be_visible()
    w.shot("desktop-light")
    source.get_by_role("link").click()
    page.wait_for_url(f"**/nara/events/{hey.id}")
    expect(page.get_by_test_id("event-verdict")).to_have_attribute("data-verdict", "valid")
    assert w.problems == []

    context = browser.new_context(
        viewport={"width": 360, "height": 780}, color_scheme="dark", device_scale_factor=2
    )
    try:
        phone = context.new_page()
        phone.goto(node.url + f"/projections?nara={peer.name}")
        expect(phone.get_by_test_id("projection")).to_have_attribute("data-name", peer.name)
        expect(phone.get_by_test_id("projection-event").first).to_be_visible()
        assert phone.evaluate("document.documentElement.scrollWidth") <= 360
        background = phone.evaluate("getComputedStyle(document.body).backgroundColor")
        rgb = [int(x) for x in re.findall(r"\d+", background)[:3]]
        assert sum(rgb) < 3 * 100, f"dark mode background is {background}"
        ARTIFACTS.mkdir(exist_ok=True)
        phone.screenshot(path=str(ARTIFACTS / "projections-phone-dark.png"), full_page=True)
    finally:
        context.close()
