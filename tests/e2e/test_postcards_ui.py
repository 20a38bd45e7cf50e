"""The postcards gallery in real headless Chromium against a real nara on a real broker, under
a base path: journey_complete messages signed with real keys become cards with their message,
hop chain, stamps and per-hop marks (verified, bad, unknown key); desktop light, phone dark."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from nara.core import gojson
from nara.core.journeys import TOPIC_JOURNEY_COMPLETE
from tests.conftest import Broker, NaraProcess
from tests.e2e.test_dashboard import ARTIFACTS, PageWatch, browser, watch  # noqa: F401 (fixtures)
from tests.integration.helpers import Plaza, Stranger, until
from tests.unit.test_journeys import chain

pytestmark = pytest.mark.e2e


def test_postcards_show_hops_and_their_marks(
    spawn_nara: Callable[..., NaraProcess],
    mosquitto: Broker,
    browser: Any,  # noqa: F811
    watch: Callable[[str], PageWatch],  # noqa: F811
) -> None:
    from playwright.sync_api import expect

    node = spawn_nara("keeper", "-base-path", "/nara", broker=mosquitto)
    alice, bob, ghost = Stranger.new("alice"), Stranger.new("bob"), Stranger.new("ghost")
    keys = {s.name: s.key for s in (alice, bob, ghost)}
    good = chain(keys, [bob.name, alice.name], message="hello from the road", journey_id="good")
    bad = replace(chain(keys, [bob.name, alice.name], "x", "bad"), message="forged")
    odd = chain(keys, [ghost.name, alice.name], message="who?", journey_id="odd")
    plaza = Plaza(mosquitto.host, mosquitto.port)
    try:
        for s in (alice, bob):
            plaza.publish("nara/plaza/hey_there", s.hey_there().to_json())
        until(
            lambda: {alice.name, bob.name} <= {n["Name"] for n in node.json("/api.json")["naras"]},
            15,
            "alice and bob known",
        )
        for c in (good, bad, odd):
            plaza.publish(TOPIC_JOURNEY_COMPLETE, gojson.dumps(c.to_json()))
        until(lambda: len(node.json("/world/journeys")["journeys"]) == 3, 15, "three journeys")
    finally:
        plaza.close()

    w = watch("postcards")
    page = w.page
    page.goto(node.url + "/")
    page.get_by_role("link", name="Postcards").click()
    page.wait_for_url("**/nara/postcards")
    cards = page.get_by_test_id("postcard")
    expect(cards).to_have_count(3)
    g = page.locator('[data-testid="postcard"][data-id="good"]')
    expect(g).to_have_attribute("data-verdict", "verified")
    expect(g).to_contain_text("hello from the road")
    expect(g.get_by_test_id("hop")).to_have_count(2)
    expect(g.get_by_test_id("hop").first).to_have_attribute("data-nara", bob.name)
    expect(g.get_by_test_id("hop").first).to_contain_text("🌸")
    b = page.locator('[data-testid="postcard"][data-id="bad"]')
    expect(b).to_have_attribute("data-verdict", "bad")
    expect(b.locator('[data-mark="bad"]')).to_have_count(2)
    o = page.locator('[data-testid="postcard"][data-id="odd"]')
    expect(o).to_have_attribute("data-verdict", "unknown-key")
    expect(o.locator(f'[data-testid="hop"][data-nara="{ghost.name}"]')).to_have_attribute(
        "data-mark", "unknown-key"
    )
    w.shot("desktop-light")
    assert w.problems == []

    context = browser.new_context(
        viewport={"width": 360, "height": 780}, color_scheme="dark", device_scale_factor=2
    )
    try:
        phone = context.new_page()
        phone.goto(node.url + "/postcards")
        expect(phone.get_by_test_id("postcard")).to_have_count(3)
        assert phone.evaluate("document.documentElement.scrollWidth") <= 360
        background = phone.evaluate("getComputedStyle(document.body).backgroundColor")
        rgb = [int(x) for x in re.findall(r"\d+", background)[:3]]
        assert sum(rgb) < 3 * 100, f"dark mode background is {background}"
        ARTIFACTS.mkdir(exist_ok=True)
        phone.screenshot(path=str(ARTIFACTS / "postcards-phone-dark.png"), full_page=True)
    finally:
        context.close()
