"""The map in real headless Chromium against a real nara on a real broker, under a base path:
strangers' newspapers with coordinates and barrio plates become labelled dots linking to their
profiles; this nara is listed as unplaced (no mesh pings); desktop light and phone dark."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from nara.core.status import Coordinates
from tests.conftest import Broker, NaraProcess
from tests.e2e.test_dashboard import ARTIFACTS, PageWatch, browser, watch  # noqa: F401 (fixtures)
from tests.integration.helpers import Plaza, Stranger, until

pytestmark = pytest.mark.e2e


def test_map_draws_placed_naras_and_lists_the_rest(
    spawn_nara: Callable[..., NaraProcess],
    mosquitto: Broker,
    browser: Any,  # noqa: F811
    watch: Callable[[str], PageWatch],  # noqa: F811
) -> None:
    from playwright.sync_api import expect

    node = spawn_nara("keeper", "-base-path", "/nara", broker=mosquitto)
    west, east = Stranger.new("west"), Stranger.new("east")
    plaza = Plaza(mosquitto.host, mosquitto.port)
    try:
        for s, x, plate in ((west, -80.0, "🌵"), (east, 120.0, "🐙")):
            plaza.publish("nara/plaza/hey_there", s.hey_there().to_json())
            news = s.newspaper(coordinates=Coordinates(x, 10.0, 0.1, 0.3), license_plate=plate)
            plaza.publish(f"nara/newspaper/{s.name}", news)
        until(lambda: node.json("/network/map")["placed"] == 2, 15, "two placed naras")
    finally:
        plaza.close()

    w = watch("map")
    page = w.page
    page.goto(node.url + "/")
    page.get_by_role("link", name="Map", exact=True).click()
    page.wait_for_url("**/nara/map")
    dots = page.get_by_test_id("map-dot")
    expect(dots).to_have_count(2)
    west_dot = page.locator(f'[data-testid="map-dot"][data-name="{west.name}"]')
    expect(west_dot).to_contain_text(f"🌵 {west.name}")
    east_box = page.locator(
        f'[data-testid="map-dot"][data-name="{east.name}"] circle'
    ).bounding_box()
    west_box = west_dot.locator("circle").bounding_box()
    assert west_box is not None and east_box is not None and west_box["x"] < east_box["x"]
    expect(page.get_by_test_id("map-unplaced")).to_contain_text("no mesh pings")
    w.shot("desktop-light")
    west_dot.click()
    page.wait_for_url(f"**/nara/nara/{west.name}")
    assert w.problems == []

    context = browser.new_context(
        viewport={"width": 360, "height": 780}, color_scheme="dark", device_scale_factor=2
    )
    try:
        phone = context.new_page()
        phone.goto(node.url + "/map")
        expect(phone.get_by_test_id("map-dot")).to_have_count(2)
        assert phone.evaluate("document.documentElement.scrollWidth") <= 360
        background = phone.evaluate("getComputedStyle(document.body).backgroundColor")
        rgb = [int(x) for x in re.findall(r"\d+", background)[:3]]
        assert sum(rgb) < 3 * 100, f"dark mode background is {background}"
        ARTIFACTS.mkdir(exist_ok=True)
        phone.screenshot(path=str(ARTIFACTS / "map-phone-dark.png"), full_page=True)
    finally:
        context.close()
