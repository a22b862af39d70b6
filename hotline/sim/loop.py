"""The simulator's event loops: virtual time (a night in seconds) or real time.

Both run callbacks in time order, one at a time. In virtual time the loop
moves a ManualClock to each event's moment, and the app under test reads the
same clock. In real time the loop sleeps until each moment and the app uses
its own clock.
"""

from __future__ import annotations

import heapq
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hotline.clock import Clock, ManualClock, SystemClock


@dataclass(order=True)
class Event:
    when: float
    order: int
    action: Callable[..., Any] = field(compare=False)
    args: tuple[Any, ...] = field(compare=False, default=())
    cancelled: bool = field(compare=False, default=False)

    def cancel(self) -> None:
        self.cancelled = True


class EventLoop:
    """Virtual time: the clock jumps from event to event."""

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        self._queue: list[Event] = []
        self._order = itertools.count()

    def now(self) -> float:
        return self.clock.now()

    def at(self, when: float, action: Callable[..., Any], *args: Any) -> Event:
        event = Event(max(when, self.now()), next(self._order), action, args)
        heapq.heappush(self._queue, event)
        return event

    def after(self, delay: float, action: Callable[..., Any], *args: Any) -> Event:
        return self.at(self.now() + max(delay, 0.0), action, *args)

    def run(self, until: float, on_tick: Callable[[float], None] | None = None) -> None:
        """Run every event up to `until` (then leave the clock there)."""
        while self._queue and self._queue[0].when <= until:
            event = heapq.heappop(self._queue)
            if event.cancelled:
                continue
            self._advance_to(event.when)
            event.action(*event.args)
            if on_tick is not None:
                on_tick(event.when)
        self._advance_to(until)

    def pending(self) -> int:
        return sum(1 for event in self._queue if not event.cancelled)

    def _advance_to(self, when: float) -> None:
        if when > self.clock.now():
            self.clock.set(when)


class RealTimeLoop(EventLoop):
    """Real time: each event waits for its moment on the wall clock."""

    def __init__(self, wall: Clock | None = None) -> None:
        self._wall = wall or SystemClock()
        super().__init__(ManualClock(self._wall.now()))

    def _advance_to(self, when: float) -> None:
        delay = when - self._wall.now()
        if delay > 0:
            time.sleep(delay)
        self.clock.set(max(when, self._wall.now()))
