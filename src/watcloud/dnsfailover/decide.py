"""The decision: a pure state machine, no clock and no network inside.

Each host has a health state with hysteresis: an `up` host goes `down` only after `down_after`
consecutive failed probes, a `down` host comes back only after `up_after` consecutive successes.
From the states, `desired_records` picks the addresses to publish:

- every host that is up;
- every down host that is published and whose last probe succeeded (it is recovering): removing
  it would only re-add it once it is up, a record churned for a host whose own state did not
  change (for example when the first host recovers from fail open while the others follow);
- when fewer than `min_records` hosts are up (but at least one), the missing records are filled
  with down hosts, preferring the ones already published (no churn), then the fewest
  consecutive failures, then config order;
- when every host is down, every host is published ("fail open", as Route 53 and Cloudflare's
  load balancer do): a blanket outage is more likely a problem of the prober than of all hosts,
  and an empty answer helps nobody.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class HostState:
    """One host's health: `up`, and the current run of consecutive failures or successes."""

    up: bool
    fails: int = 0  # consecutive failed probes (0 after a success)
    oks: int = 0  # consecutive successful probes (0 after a failure)

    @property
    def label(self) -> str:
        if self.up:
            return "up" if self.fails == 0 else f"up ({self.fails} failing)"
        return "down" if self.oks == 0 else f"down ({self.oks} ok)"


@dataclass(frozen=True)
class Transition:
    host: str
    became_up: bool
    streak: int  # the run of results that caused the flip


def initial_state(published: bool) -> HostState:
    """A host starts in the state the provider shows: published means up (no flip at start)."""
    return HostState(up=published)


def step(state: HostState, ok: bool, *, down_after: int, up_after: int) -> HostState:
    """Apply one probe result."""
    if down_after < 1 or up_after < 1:
        raise ValueError("thresholds must be at least 1")
    if ok:
        oks, fails = state.oks + 1, 0
        up = state.up or oks >= up_after
    else:
        oks, fails = 0, state.fails + 1
        up = state.up and fails < down_after
    return replace(state, up=up, fails=fails, oks=oks)


def step_all(
    states: Mapping[str, HostState],
    results: Mapping[str, bool],
    *,
    down_after: int,
    up_after: int,
) -> tuple[dict[str, HostState], list[Transition]]:
    """Apply one round of results (hosts without a result keep their state)."""
    new: dict[str, HostState] = {}
    flips: list[Transition] = []
    for host, state in states.items():
        if host not in results:
            new[host] = state
            continue
        nxt = step(state, results[host], down_after=down_after, up_after=up_after)
        if nxt.up != state.up:
            flips.append(Transition(host, nxt.up, nxt.oks if nxt.up else nxt.fails))
        new[host] = nxt
    return new, flips


def recovering(state: HostState) -> bool:
    """Down, and its last probe succeeded (on its way up)."""
    return not state.up and state.oks > 0


def desired_records(
    hosts: Sequence[str],
    states: Mapping[str, HostState],
    min_records: int,
    published: frozenset[str] | set[str] = frozenset(),
) -> list[str]:
    """The addresses to publish, in config order."""
    up = [h for h in hosts if states[h].up]
    if not up:
        return list(hosts)  # fail open
    chosen = set(up) | {h for h in hosts if recovering(states[h]) and h in published}
    need = min(min_records, len(hosts)) - len(chosen)
    if need <= 0:
        return [h for h in hosts if h in chosen]
    order = {h: i for i, h in enumerate(hosts)}
    spare = sorted(
        (h for h in hosts if h not in chosen),
        key=lambda h: (h not in published, states[h].fails, order[h]),
    )
    chosen |= set(spare[:need])
    return [h for h in hosts if h in chosen]


def first_states(
    hosts: Sequence[str],
    published: frozenset[str] | set[str] | None,
    results: Mapping[str, bool],
    *,
    down_after: int,
    up_after: int,
) -> dict[str, HostState]:
    """States after the first round of a run (hosts without a result count as failed).

    When the provider already publishes some of the hosts, published hosts start up and the
    others down, and the first results go through the thresholds as usual: a restart flips
    nothing by itself. When nothing is published yet (a new service, or the provider could not
    be read), there is no earlier decision to keep, and the first result decides.
    """
    if published is not None and any(h in published for h in hosts):
        return {
            h: step(
                initial_state(h in published),
                results.get(h, False),
                down_after=down_after,
                up_after=up_after,
            )
            for h in hosts
        }
    out = {}
    for h in hosts:
        ok = results.get(h, False)
        out[h] = HostState(up=ok, fails=0 if ok else 1, oks=1 if ok else 0)
    return out
