"""The event detail page in real headless Chromium against a real nara on a real broker, under a
base path: from the raw ledger's "details" link to /events/{id}, which shows the verdict, the
key's source and the exact signed string; at desktop width in light mode and at a phone's width
in dark mode without sideways overflow."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import Broker, NaraProcess
from tests.e2e.test_dashboard import ARTIFACTS, PageWatch, browser, watch  # noqa: F401 (fixtures)
from tests.integration.helpers import Plaza, Stranger, until

pytestmark = pytest.mark.e2e


def test_event_detail_from_the_ledger_desktop_and_phone(
    spawn_nara: Callable[..., NaraProcess],
    mosquitto: Broker,
    browser: Any,  # noqa: F811
    watch: Callable[[str], PageWatch],  # noqa: F811
) -> None:
    from playwright.sync_api import expect

    node = spawn_nara("keeper", "-base-path", "/nara", broker=mosquitto)
    stranger = Stranger.new("peer")
    event = stranger.hey_there()
    plaza = Plaza(mosquitto.host, mosquitto.port)
    try:
        plaza.publish("nara/plaza/hey_there", event.to_json())
        until(
            lambda: any(e["id"] == event.id for e in node.json("/api/inspector/events")["events"]),
            15,
            "the hey_there in the ledger",
        )
    finally:
        plaza.close()

    w = watch("event-detail")
    page = w.page
    page.goto(node.url + "/timeline?view=ledger")
    row = page.locator(f'[data-testid="ledger-item"][data-id="{event.id}"]')
    row.get_by_test_id("event-link").click()
    page.wait_for_url(f"**/nara/events/{event.id}")
    expect(page.get_by_test_id("event-verdict")).to_have_attribute("data-verdict", "valid")
    expect(page.get_by_test_id("event-signed")).to_have_text("yes")
    expect(page.get_by_test_id("event-key-known")).to_contain_text("inside the event")
    signed = f"{event.id}:{event.ts}:{event.svc}:{event.emitter}:{event.content_string()}"
    expect(page.get_by_test_id("event-signable")).to_have_text(signed)
    w.shot("desktop-light")
    assert w.problems == []

    # Unknown id: a clear "no such event" panel, not a blank page.
    page.goto(node.url + "/events/" + "0" * 32)
    expect(page.get_by_role("alert")).to_contain_text("No such event here")

    context = browser.new_context(
        viewport={"width": 360, "height": 780}, color_scheme="dark", device_scale_factor=2
    )
    try:
        phone = context.new_page()
        phone.goto(node.url + f"/events/{event.id}")
        expect(phone.get_by_test_id("event-verdict")).to_have_attribute("data-verdict", "valid")
        assert phone.evaluate("document.documentElement.scrollWidth") <= 360
        background = phone.evaluate("getComputedStyle(document.body).backgroundColor")
        rgb = [int(x) for x in re.findall(r"\d+", background)[:3]]
        assert sum(rgb) < 3 * 100, f"dark mode background is {background}"
        ARTIFACTS.mkdir(exist_ok=True)
        phone.screenshot(path=str(ARTIFACTS / "event-detail-phone-dark.png"), full_page=True)
    finally:
        context.close()
