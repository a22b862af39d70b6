"""The RQ worker classes Hotline runs: RQ's own, counting failures for GET /metrics
(job_figures.py) and stopping without a minute's wait.
"""

from __future__ import annotations

from rq import SimpleWorker, Worker

from workers.job_figures import CountsFailures

# How long the thread listening for RQ's worker commands (stop, kill a job) waits for
# one before looking again. RQ asks for 60 s; redis-py's PubSubWorkerThread.stop()
# (8.2) waits for the thread to notice it should stop, so a worker (a burst worker in
# the tests, `hotline worker` on SIGTERM) took up to a minute to finish.
COMMAND_POLL_S = 1.0


class StopsPromptly:
    """Mixed into RQ's worker classes: RQ's subscribe(), with a short poll."""

    def subscribe(self) -> None:
        self.pubsub = self.connection.pubsub()
        self.pubsub.subscribe(**{self.pubsub_channel_name: self.handle_payload})
        self.pubsub_thread = self.pubsub.run_in_thread(
            sleep_time=COMMAND_POLL_S, daemon=True, exception_handler=self._pubsub_exception_handler
        )


class HotlineWorker(StopsPromptly, CountsFailures, Worker):
    pass


class HotlineSimpleWorker(StopsPromptly, CountsFailures, SimpleWorker):
    pass
