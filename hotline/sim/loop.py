"""The simulator's event loops: virtual time (a night in seconds) or real time.

Both run callbacks in time order, one at a time. In virtual time the loop
moves a ManualClock to each event's moment, and the app under test reads the
same clock. In real time the loop sleeps until each moment and the app uses
its own clock.

The REST stand-in (rest.py) changes the same network from its server's thread, when
Hotline's workers call it: it holds `lock` while it does. The real-time loop holds the
lock while an event runs and lets go of it while it waits, so the two take turns. In
virtual time the REST stand-in is only ever called while the loop waits for an answer
(a job runs inside an event), so the loop never holds the lock.
"""

from __future__ import annotations

import heapq
import itertools
import threading
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
        self.lock = threading.RLock()
        self._wakeup = threading.Condition(self.lock)

    def now(self) -> float:
        return self.clock.now()

    def at(self, when: float, action: Callable[..., Any], *args: Any) -> Event:
        with self._wakeup:
            event = Event(max(when, self.now()), next(self._order), action, args)
            heapq.heappush(self._queue, event)
            self._wakeup.notify()
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
    """Real time: each event waits for its moment on the wall clock. An event added from
    another thread meanwhile (the REST stand-in's) wakes the wait, in case it comes first.
    """

    def __init__(self, wall: Clock | None = None) -> None:
        self._wall = wall or SystemClock()
        super().__init__(ManualClock(self._wall.now()))

    def run(self, until: float, on_tick: Callable[[float], None] | None = None) -> None:
        with self._wakeup:
            while True:
                while self._queue and self._queue[0].cancelled:
                    heapq.heappop(self._queue)
                wall = self._wall.now()
                due = self._queue[0].when if self._queue else until
                if due > until:
                    due = until
                if wall < due:
                    self._wakeup.wait(due - wall)  # lets go of the lock while it waits
                    continue
                if not self._queue or self._queue[0].when > until:
                    break
                event = heapq.heappop(self._queue)
                self.clock.set(max(event.when, wall))
                event.action(*event.args)
                if on_tick is not None:
                    on_tick(event.when)
            self.clock.set(max(until, self._wall.now()))
