"""The fleet table in real headless Chromium against a real nara on a real broker, under a base
path: two strangers' newspapers (real keys, real mosquitto) carry HostStats; the table shows
them, sorts by a column header click (aria-sort, state in the URL), and fits a phone in dark
mode."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from nara.core.status import HostStats
from tests.conftest import Broker, NaraProcess
from tests.e2e.test_dashboard import ARTIFACTS, PageWatch, browser, watch  # noqa: F401 (fixtures)
from tests.integration.helpers import Plaza, Stranger, until

pytestmark = pytest.mark.e2e


def _names(page: Any) -> list[str]:
    rows = page.get_by_test_id("fleet-row")
    return [rows.nth(i).get_attribute("data-name") for i in range(rows.count())]


def test_fleet_table_sorts_by_column_desktop_and_phone(
    spawn_nara: Callable[..., NaraProcess],
    mosquitto: Broker,
    browser: Any,  # noqa: F811
    watch: Callable[[str], PageWatch],  # noqa: F811
) -> None:
    from playwright.sync_api import expect

    node = spawn_nara("keeper", "-base-path", "/nara", broker=mosquitto)
    small, big = Stranger.new("small"), Stranger.new("big")
    plaza = Plaza(mosquitto.host, mosquitto.port)
    try:
        for s, mem, cpu in ((small, 100, 1.5), (big, 4000, 75.25)):
            plaza.publish("nara/plaza/hey_there", s.hey_there().to_json())
            stats = HostStats(uptime=3600, load_avg=0.5, mem_sys_mb=mem, proc_cpu_percent=cpu)
            plaza.publish(f"nara/newspaper/{s.name}", s.newspaper(host_stats=stats, version="9.9"))

        def stats_of(name: str) -> dict[str, Any]:
            for n in node.json("/api.json")["naras"]:
                if n["Name"] == name:
                    return dict(n["HostStats"])
            return {}

        until(lambda: stats_of(big.name).get("MemSysMB") == 4000, 15, "big's newspaper")
        until(lambda: stats_of(small.name).get("MemSysMB") == 100, 15, "small's newspaper")
    finally:
        plaza.close()

    w = watch("fleet")
    page = w.page
    page.goto(node.url + "/")
    page.get_by_role("link", name="Fleet").click()
    page.wait_for_url("**/nara/fleet")
    big_row = page.locator(f'[data-testid="fleet-row"][data-name="{big.name}"]')
    expect(big_row.locator('[data-col="mem"]')).to_have_text("4,000")
    expect(big_row.locator('[data-col="cpu"]')).to_have_text("75.3")
    expect(big_row.locator('[data-col="version"]')).to_have_text("9.9")
    expect(big_row.locator('[data-col="uptime"]')).to_have_text("1 h")
    assert _names(page) == sorted(_names(page))  # by name by default

    page.get_by_test_id("sort-mem").click()
    page.wait_for_url("**/fleet?sort=mem")
    mem_th = page.locator("th", has=page.get_by_test_id("sort-mem"))
    expect(mem_th).to_have_attribute("aria-sort", "ascending")
    names = _names(page)
    assert names.index(small.name) < names.index(big.name)
    page.get_by_test_id("sort-mem").click()
    expect(mem_th).to_have_attribute("aria-sort", "descending")
    page.wait_for_url("**/fleet?sort=mem&dir=desc")
    assert _names(page)[0] == big.name
    expect(page.locator("th", has=page.get_by_test_id("sort-name"))).to_have_attribute(
        "aria-sort", "none"
    )
    w.shot("desktop-light")
    assert w.problems == []

    context = browser.new_context(
        viewport={"width": 360, "height": 780}, color_scheme="dark", device_scale_factor=2
    )
    try:
        phone = context.new_page()
        phone.goto(node.url + "/fleet?sort=cpu&dir=desc")
        expect(phone.get_by_test_id("fleet-row").first).to_have_attribute("data-name", big.name)
        # The table scrolls inside its own box; the page itself does not scroll sideways.
        assert phone.evaluate("document.documentElement.scrollWidth") <= 360
        background = phone.evaluate("getComputedStyle(document.body).backgroundColor")
        rgb = [int(x) for x in re.findall(r"\d+", background)[:3]]
        assert sum(rgb) < 3 * 100, f"dark mode background is {background}"
        ARTIFACTS.mkdir(exist_ok=True)
        phone.screenshot(path=str(ARTIFACTS / "fleet-phone-dark.png"), full_page=True)
    finally:
        context.close()
