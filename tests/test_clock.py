"""The virtual clock and event loop: time only moves when the loop runs; ties run in order."""
from labkit.minicluster.clock import EPOCH, EventLoop, parse_rfc3339, rfc3339


def test_starts_at_epoch_and_formats_rfc3339():
    loop = EventLoop()
    assert loop.clock.timestamp() == "2025-01-01T00:00:00Z"
    assert parse_rfc3339(rfc3339(EPOCH + 65)) == EPOCH + 65


def test_timers_run_in_time_then_insertion_order():
    loop = EventLoop()
    out = []
    loop.call_later(5, out.append, "b")
    loop.call_later(1, out.append, "a")
    loop.call_later(5, out.append, "c")
    loop.call_soon(out.append, "now")
    loop.run(4)
    assert out == ["now", "a"] and loop.clock.now() == EPOCH + 4
    loop.run(10)
    assert out == ["now", "a", "b", "c"]


def test_cancel_and_settle_ignores_background_timers():
    loop = EventLoop()
    out = []

    def heartbeat():
        out.append(("hb", loop.clock.now() - EPOCH))
        loop.call_later(10, heartbeat, background=True)

    loop.call_later(10, heartbeat, background=True)
    t = loop.call_later(3, out.append, "cancelled")
    loop.call_later(25, out.append, "work")
    t.cancel()
    assert loop.settle() is True
    assert out == [("hb", 10), ("hb", 20), "work"]
    assert loop.clock.now() == EPOCH + 25


def test_settle_stops_at_limit_for_endless_work():
    loop = EventLoop()

    def again():
        loop.call_later(1, again)

    loop.call_soon(again)
    assert loop.settle(max_seconds=30) is False
    assert loop.clock.now() == EPOCH + 30
