"""The live feed (nara/feed.py): one shared bounded ring, a cursor per subscriber, a burst taken
as one batch, each frame encoded once, and a subscriber that falls a ring behind cut off."""

from __future__ import annotations

import asyncio

from nara.feed import RING_SIZE, Feed, Frame


def ledger(seq: int) -> Frame:
    return Frame("hey-there", {"seq": seq, "emitter": f"n{seq}"}, seq)


def cards(rev: int) -> Frame:
    return Frame("naras", {}, 0, rev, raw='{"changed":[]}')


def test_a_burst_is_taken_at_once_in_order_and_card_frames_only_by_card_streams() -> None:
    feed = Feed()
    plain, dash = feed.subscribe(), feed.subscribe(cards=True)
    frames = [ledger(1), cards(1), ledger(2), cards(2), ledger(3)]
    for frame in frames:
        feed.publish(frame)
    assert plain.take() == [frames[0], frames[2], frames[4]]
    assert dash.take() == frames
    assert plain.take() == [] and dash.take() == []  # nothing twice
    feed.publish(ledger(4))
    assert [f.seq for f in plain.take()] == [4]


def test_each_frame_is_encoded_once_and_shared_by_every_client() -> None:
    frame = ledger(7)
    first = frame.wire()
    assert frame.wire() is first  # the same bytes object: no second encode
    assert first == b'id: 7\nevent: hey-there\ndata: {"emitter":"n7","seq":7}\n\n'
    assert (
        frame.wire(cards=True) == b'id: 7-0\nevent: hey-there\ndata: {"emitter":"n7","seq":7}\n\n'
    )
    assert cards(3).wire(cards=True) == b'id: 0-3\nevent: naras\ndata: {"changed":[]}\n\n'


def test_a_subscriber_a_ring_behind_is_cut_off_and_the_others_keep_going() -> None:
    feed = Feed()
    slow, fast = feed.subscribe(), feed.subscribe()
    for seq in range(1, RING_SIZE + 2):
        feed.publish(ledger(seq))
        if seq % 100 == 0:
            assert len(fast.take()) == 100
    assert [f.seq for f in fast.take()] == list(range(RING_SIZE // 100 * 100 + 1, RING_SIZE + 2))
    assert slow.take() == [] and slow.dropped and slow.ended
    assert feed.slow_clients_dropped == 1 and len(feed) == 1
    feed.publish(ledger(RING_SIZE + 2))
    assert [f.seq for f in fast.take()] == [RING_SIZE + 2]
    assert feed.ring.count(None) == 0 and len(feed.ring) == RING_SIZE  # memory stays bounded


def test_nothing_is_kept_while_nobody_listens() -> None:
    feed = Feed()
    feed.publish(ledger(1))
    assert feed.head == 0
    sub = feed.subscribe()
    assert sub.take() == []


def test_wait_wakes_on_publish_times_out_and_ends_on_close() -> None:
    async def scenario() -> None:
        feed = Feed()
        sub, dash = feed.subscribe(), feed.subscribe(cards=True)
        assert await sub.wait(0.01) is False  # nothing published: the keepalive path
        async with asyncio.TaskGroup() as group:
            waiting = group.create_task(sub.wait(60))
            await asyncio.sleep(0)
            feed.publish(cards(1))  # not for a plain stream: it stays asleep
            await asyncio.sleep(0)
            assert not waiting.done()
            feed.publish(ledger(1))
            assert await waiting is True
        assert [f.seq for f in sub.take()] == [1]
        assert len(dash.take()) == 2
        async with asyncio.TaskGroup() as group:
            parked = group.create_task(dash.wait(60))
            await asyncio.sleep(0)
            feed.close()
            assert await parked is True
        assert dash.ended and not dash.dropped and not feed.waiting

    asyncio.run(scenario())
