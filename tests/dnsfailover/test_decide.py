"""The decision state machine: property-based (hypothesis) and worked examples."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from watcloud.dnsfailover.decide import (
    HostState,
    desired_records,
    first_states,
    initial_state,
    step,
    step_all,
)

HOSTS = [f"10.0.0.{i}" for i in range(1, 7)]


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[list[str], int, int, int, list[dict[str, bool]], set[str]]:
    n = draw(st.integers(1, 6))
    hosts = HOSTS[:n]
    down_after = draw(st.integers(1, 5))
    up_after = draw(st.integers(1, 5))
    min_records = draw(st.integers(0, 8))
    rounds = draw(
        st.lists(st.fixed_dictionaries({h: st.booleans() for h in hosts}), min_size=1, max_size=40)
    )
    published = draw(st.sets(st.sampled_from(hosts)))
    return hosts, down_after, up_after, min_records, rounds, published


@settings(max_examples=400, deadline=None)
@given(scenarios())
def test_never_fewer_records_than_the_minimum(scn: tuple) -> None:  # type: ignore[type-arg]
    hosts, down_after, up_after, min_records, rounds, published = scn
    states = {h: initial_state(h in published) for h in hosts}
    for results in rounds:
        states, _ = step_all(states, results, down_after=down_after, up_after=up_after)
        want = desired_records(hosts, states, min_records, published)
        assert len(want) >= min(min_records, len(hosts))
        assert len(want) >= 1  # never an empty answer: fail open
        assert set(want) <= set(hosts) and len(set(want)) == len(want)
        # every healthy host is published; when all are down, all are published
        assert {h for h in hosts if states[h].up} <= set(want)
        if not any(states[h].up for h in hosts):
            assert want == hosts
        published = set(want)


@settings(max_examples=400, deadline=None)
@given(scenarios())
def test_no_flip_before_its_threshold(scn: tuple) -> None:  # type: ignore[type-arg]
    hosts, down_after, up_after, _min, rounds, published = scn
    states = {h: initial_state(h in published) for h in hosts}
    history: dict[str, list[bool]] = {h: [] for h in hosts}
    for results in rounds:
        new, flips = step_all(states, results, down_after=down_after, up_after=up_after)
        for h in hosts:
            history[h].append(results[h])
            if new[h].up != states[h].up:
                tail = history[h][-(up_after if new[h].up else down_after) :]
                need = up_after if new[h].up else down_after
                # the flip follows exactly a full run of agreeing results
                assert len(tail) == need and all(r == new[h].up for r in tail)
        assert {f.host for f in flips} == {h for h in hosts if new[h].up != states[h].up}
        states = new


@settings(max_examples=300, deadline=None)
@given(scenarios(), st.integers(0, 5))
def test_recovery_after_m_successes(scn: tuple, extra: int) -> None:  # type: ignore[type-arg]
    hosts, down_after, up_after, min_records, rounds, published = scn
    states = {h: initial_state(h in published) for h in hosts}
    for results in rounds:
        states, _ = step_all(states, results, down_after=down_after, up_after=up_after)
    for _ in range(up_after + extra):
        states, _ = step_all(
            states, dict.fromkeys(hosts, True), down_after=down_after, up_after=up_after
        )
    assert all(states[h].up for h in hosts)
    assert desired_records(hosts, states, min_records, published) == hosts


@settings(max_examples=300, deadline=None)
@given(scenarios())
def test_failures_remove_after_n(scn: tuple) -> None:  # type: ignore[type-arg]
    hosts, down_after, up_after, _min, rounds, published = scn
    states = {h: initial_state(h in published) for h in hosts}
    for results in rounds:
        states, _ = step_all(states, results, down_after=down_after, up_after=up_after)
    victim = hosts[0]
    # The victim fails while the others answer, long enough for both thresholds.
    for _ in range(max(down_after, up_after)):
        states, _ = step_all(
            states,
            {h: h != victim for h in hosts},
            down_after=down_after,
            up_after=up_after,
        )
    assert not states[victim].up
    if len(hosts) > 1:
        assert victim not in desired_records(hosts, states, 1, published)


def test_examples() -> None:
    s = initial_state(True)
    s = step(s, False, down_after=3, up_after=2)
    s = step(s, False, down_after=3, up_after=2)
    assert s.up and s.fails == 2 and s.label == "up (2 failing)"
    s = step(s, True, down_after=3, up_after=2)  # a success resets the failure run
    assert s.fails == 0
    for _ in range(3):
        s = step(s, False, down_after=3, up_after=2)
    assert not s.up and s.label == "down"
    s = step(s, True, down_after=3, up_after=2)
    assert not s.up and s.label == "down (1 ok)"
    s = step(s, True, down_after=3, up_after=2)
    assert s.up
    with pytest.raises(ValueError):
        step(s, True, down_after=0, up_after=1)


def test_min_records_prefers_published_then_fewest_failures() -> None:
    hosts = ["a", "b", "c", "d"]
    states = {
        "a": HostState(up=True),
        "b": HostState(up=False, fails=9),
        "c": HostState(up=False, fails=4),
        "d": HostState(up=False, fails=5),
    }
    assert desired_records(hosts, states, 2) == ["a", "c"]
    assert desired_records(hosts, states, 2, published={"a", "d"}) == ["a", "d"]
    assert desired_records(hosts, states, 0) == ["a"]
    assert desired_records(hosts, states, 10) == hosts
    all_down = {h: HostState(up=False, fails=3) for h in hosts}
    assert desired_records(hosts, all_down, 0) == hosts  # fail open


def test_first_states() -> None:
    hosts = ["a", "b", "c"]
    ok = {"a": True, "b": False, "c": True}
    # Nothing published yet: the first result decides.
    fresh = first_states(hosts, None, ok, down_after=3, up_after=2)
    assert [fresh[h].up for h in hosts] == [True, False, True]
    # Already published: thresholds apply from the published state (a restart flips nothing).
    kept = first_states(hosts, {"a", "b"}, ok, down_after=3, up_after=2)
    assert [kept[h].up for h in hosts] == [True, True, False]
    assert kept["b"].fails == 1 and kept["c"].oks == 1


def test_leaving_fail_open_keeps_recovering_hosts() -> None:
    """Issue 15 item 7: all hosts down (fail open), then they recover one round apart. When the
    first is back up, the others that are recovering (last probe ok) stay published: no record
    is removed and re-added a round later. A host still failing is removed."""
    hosts = ["a", "b", "c"]
    kw = {"down_after": 2, "up_after": 2}
    states = {h: initial_state(True) for h in hosts}
    published = set(hosts)
    script = [
        {"a": False, "b": False, "c": False},
        {"a": False, "b": False, "c": False},  # all down: fail open
        {"a": True, "b": False, "c": False},
        {"a": True, "b": True, "c": False},  # a up; b recovering; c still failing
        {"a": True, "b": True, "c": False},  # b up
    ]
    history: list[set[str]] = []
    for results in script:
        states, _ = step_all(states, results, **kw)
        published = set(desired_records(hosts, states, 1, published))
        history.append(published)
    assert history[1] == {"a", "b", "c"}  # fail open
    assert history[3] == {"a", "b"}  # b kept while recovering, c (failing) removed
    assert history[4] == {"a", "b"}
    # b never left: no removal followed by a re-addition.
    assert all("b" in p for p in history)


def test_a_published_host_whose_probe_succeeded_is_never_removed() -> None:
    hosts = ["a", "b"]
    states = {"a": HostState(up=True), "b": HostState(up=False, oks=1)}
    assert desired_records(hosts, states, 1, published={"a", "b"}) == ["a", "b"]
    # Not published: a recovering host is added only once it is up (no early addition).
    assert desired_records(hosts, states, 1, published={"a"}) == ["a"]
    # Its probe fails again: removed (and a flapping host is not re-added until it is up).
    states["b"] = HostState(up=False, fails=1)
    assert desired_records(hosts, states, 1, published={"a", "b"}) == ["a"]


@settings(max_examples=400, deadline=None)
@given(scenarios())
def test_no_churn_for_hosts_that_answer(scn: tuple) -> None:  # type: ignore[type-arg]
    """A published host whose probe succeeded in this round is never removed in it."""
    hosts, down_after, up_after, min_records, rounds, published = scn
    states = {h: initial_state(h in published) for h in hosts}
    for results in rounds:
        states, _ = step_all(states, results, down_after=down_after, up_after=up_after)
        want = set(desired_records(hosts, states, min_records, published))
        removed = set(published) - want
        assert not {h for h in removed if results[h]}, (states, published, results)
        published = want
