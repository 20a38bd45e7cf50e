"""The dashboard's memory of the network, in real headless Chromium against a real nara on a
real broker: the neighbourhood's "not seen for 24 h" toggle (state in the URL), and a profile's
checkpoint card with its voters and where restarts / uptime / first start come from.

A card older than 24 h cannot be made over real sockets in a test (its LastSeen is the node's
own clock), so the hiding itself is tested as a pure function in nara-web/test/stale.test.mjs;
here the toggle's presence, its count and its URL state.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from nara.core.checkpoints import TOPIC_FINAL
from tests.conftest import Broker, NaraProcess
from tests.e2e.test_dashboard import PageWatch, browser, card, watch  # noqa: F401 (fixtures)
from tests.integration.helpers import Plaza, Stranger, until
from tests.integration.test_checkpoints import signed_final

pytestmark = pytest.mark.e2e


@pytest.fixture
def plaza(mosquitto: Broker) -> Iterator[Plaza]:
    client = Plaza(mosquitto.host, mosquitto.port)
    yield client
    client.close()


def known(node: NaraProcess) -> set[str]:
    return {n["Name"] for n in node.json("/api.json")["naras"]}


def test_stale_toggle_is_shown_and_kept_in_the_url(
    spawn_nara: Callable[..., NaraProcess],
    mosquitto: Broker,
    plaza: Plaza,
    watch: Callable[[str], PageWatch],  # noqa: F811
) -> None:
    from playwright.sync_api import expect

    node = spawn_nara("keeper", broker=mosquitto)
    peer = Stranger.new("peer")
    plaza.publish("nara/plaza/hey_there", peer.hey_there().to_json())
    until(lambda: peer.name in known(node), 15, "the peer to be known")

    w = watch("stale-toggle")
    page = w.page
    page.goto(node.url + "/")
    # Just seen: the peer is on show, and nothing is hidden.
    expect(card(page, peer.name)).to_be_visible()
    expect(card(page, "keeper")).to_be_visible()
    toggle = page.get_by_test_id("show-stale")
    expect(page.get_by_test_id("show-stale-label")).to_have_text("show 0 naras not seen for 24 h")
    expect(toggle).not_to_be_checked()
    assert "stale=" not in page.url

    toggle.check()
    page.wait_for_url("**/?stale=1")
    expect(card(page, peer.name)).to_be_visible()

    # A shared link keeps the toggle on; unchecking clears the query.
    page.goto(node.url + "/?stale=1&status=online")
    expect(page.get_by_test_id("show-stale")).to_be_checked()
    expect(page.get_by_test_id("filter-online")).to_have_attribute("aria-pressed", "true")
    page.get_by_test_id("show-stale").uncheck()
    page.wait_for_url("**/?status=online")
    w.shot("neighbourhood")
    assert w.problems == []


def test_profile_shows_the_checkpoint_and_its_voters(
    spawn_nara: Callable[..., NaraProcess],
    mosquitto: Broker,
    plaza: Plaza,
    watch: Callable[[str], PageWatch],  # noqa: F811
) -> None:
    from playwright.sync_api import expect

    node = spawn_nara("keeper", broker=mosquitto)
    naras = [Stranger.new("voter") for _ in range(6)]
    for s in naras:
        plaza.publish("nara/plaza/hey_there", s.hey_there().to_json())
    until(lambda: {s.name for s in naras} <= known(node), 15, "the voters to be known")
    subject, voters = naras[0], naras[1:]

    w = watch("checkpoint")
    page = w.page
    # Before any checkpoint: the figures are this node's own, and no card (and no 404 asked).
    page.goto(node.url + f"/nara/{subject.name}")
    source = page.get_by_test_id("figures-source")
    expect(source).to_have_attribute("data-source", "observations")
    expect(source).to_contain_text("from this node's own observations")
    expect(page.get_by_test_id("checkpoint-card")).to_have_count(0)

    plaza.publish(TOPIC_FINAL, signed_final(subject, voters))
    until(lambda: node.get(f"/api/inspector/checkpoint/{subject.name}")[0] == 200, 10, "stored")
    # The open page learns of it live (the checkpoint event), without a reload.
    expect(source).to_have_attribute("data-source", "checkpoint")
    expect(source).to_contain_text("from a checkpoint signed by 5 naras")
    cp = page.get_by_test_id("checkpoint-card")
    expect(cp).to_be_visible()
    rows = page.get_by_test_id("checkpoint-voter")
    expect(rows).to_have_count(5)
    names = {rows.nth(i).get_attribute("data-name") for i in range(5)}
    assert names == {v.name for v in voters}
    for v in voters:
        expect(cp).to_contain_text(v.identity.nara_id)
    values = page.get_by_test_id("checkpoint-values")
    expect(values).to_contain_text("7")  # restarts in signed_final
    expect(values).to_contain_text("1 d 10 h")  # total_uptime 123,456 s
    expect(page.locator(".hero__meta")).to_contain_text("7 restarts")
    w.shot("profile")

    # A fresh load shows the same, and this node's own profile stays "own observations".
    page.goto(node.url + f"/nara/{subject.name}")
    expect(page.get_by_test_id("checkpoint-voter")).to_have_count(5)
    page.goto(node.url + "/nara/keeper")
    expect(page.get_by_test_id("figures-source")).to_contain_text("own observations")
    assert w.problems == []
