"""The build queue and the agents that take its work (jenkinsapi reads, each one ``?tree=`` poll)."""

from __future__ import annotations

import time

from worker.jenkins._core import ClientCore
from worker.jenkins._idempotency import run_once
from worker.jenkins.errors import JenkinsError, JenkinsNotFound, JenkinsTimeout
from worker.jenkins.jenkinsapi_bridge import TreeNodes, TreeQueue, TreeQueueItem
from worker.jenkins.models import NodeInfo, QueueItem
from worker.jenkins.outcomes import QueueAction


class QueueMixin(ClientCore):
    """Queue items (what a trigger returns) and nodes."""

    def queue(self) -> list[QueueItem]:
        """Everything in the build queue, each with Jenkins' reason for waiting (``why``) (one GET)."""
        queue = TreeQueue(self.api.get_queue_url(), self.api)  # jenkinsapi, one GET with tree=
        return [QueueItem.from_api(item, base_url=self.base_url) for item in queue.rows]

    def queue_item(self, item_id: int) -> QueueItem:
        """Current state of a queue item (one GET, through jenkinsapi). Jenkins forgets items a few minutes
        after they leave the queue (then :class:`JenkinsNotFound`)."""
        item = TreeQueueItem(f"{self.api.get_queue_url()}/item/{int(item_id)}", self.api)
        return QueueItem.from_api(item.row, base_url=self.base_url)

    def wait_for_build_number(
        self, queue_item: QueueItem, timeout: float, *, poll_interval: float | None = None
    ) -> int:
        """Poll a queue item until it becomes a build; return the build number.

        Raises :class:`JenkinsTimeout` (with Jenkins' reason for waiting) when ``timeout`` passes, and
        :class:`JenkinsError` if the item was cancelled.
        """
        if queue_item.build_number is not None:
            return queue_item.build_number  # it had already started when the item was read
        interval = poll_interval or min(self.poll_interval, 1.0)
        deadline = time.monotonic() + timeout
        while True:
            try:
                item = self.queue_item(queue_item.id)
            except JenkinsNotFound as exc:
                raise JenkinsNotFound(
                    f"Jenkins no longer knows queue item {queue_item.id} for {queue_item.job} (it forgets "
                    "items about 5 minutes after they leave the queue); find the build in job_status()",
                    status=404,
                    url=queue_item.url,
                ) from exc
            if item.cancelled:
                raise JenkinsError(f"queue item {item.id} for {item.job} was cancelled", url=item.url)
            if item.build_number is not None:
                return item.build_number
            if time.monotonic() + interval > deadline:
                raise JenkinsTimeout(
                    f"queue item {item.id} for {item.job} did not start within {timeout}s: "
                    f"{item.why or 'waiting'}",
                    url=item.url,
                )
            time.sleep(interval)

    def cancel_queue_item(self, item_id: int, *, confirm: bool = True) -> QueueAction:
        """Take an item out of the build queue (``POST queue/cancelItem?id=``) and report what Jenkins did: an
        item that already became a build, or was cancelled before, is left alone and the answer says so. Once
        per task inside an idempotency scope."""
        if not confirm:
            return self._cancel(item_id, confirm=False)
        return run_once(
            self._scope, "cancel", f"queue/{int(item_id)}", lambda: self._cancel(item_id, confirm=True),
            dump=lambda a: a.model_dump(mode="json"), load=QueueAction.model_validate,
        )  # fmt: skip

    def _cancel(self, item_id: int, *, confirm: bool) -> QueueAction:
        before = self.queue_item(item_id)
        if before.cancelled or before.build_number is not None:
            why = (
                "was already cancelled"
                if before.cancelled
                else f"already started as build #{before.build_number}"
            )
            return QueueAction(
                id=before.id, job=before.job, action="none", done=False, dry_run=not confirm,
                cancelled=before.cancelled, build=before.build_number,
                message=f"queue item {before.id} ({before.job}) {why}; nothing was done",
            )  # fmt: skip
        if not confirm:
            return QueueAction(
                id=before.id, job=before.job, action="cancel", done=False, dry_run=True, cancelled=False,
                message=f"dry run: would cancel queue item {before.id} ({before.job}): {before.why or 'waiting'}",
            )  # fmt: skip
        self.http.post("queue/cancelItem", params={"id": int(item_id)})
        after = self.queue_item(item_id)
        message = (
            f"Jenkins cancelled queue item {after.id} ({after.job})"
            if after.cancelled
            else f"Jenkins did not cancel queue item {after.id} ({after.job}): "
            + (f"it started as build #{after.build_number}" if after.build_number else "it is still queued")
        )
        return QueueAction(
            id=after.id, job=after.job, action="cancel", done=after.cancelled, cancelled=after.cancelled,
            build=after.build_number, message=message,
        )  # fmt: skip

    def nodes(self) -> list[NodeInfo]:
        """Build agents with their executors, labels and, when offline, Jenkins' reason (one GET).

        Read with :meth:`queue`: an item "Waiting for next available executor on 'linux'" and every 'linux'
        agent offline is the whole story.
        """
        # jenkinsapi's Node objects would poll each agent again (and once more per is_online()); the
        # container's one tree= poll already holds everything NodeInfo reads.
        return [NodeInfo.from_api(c) for c in TreeNodes(self.api.baseurl, self.api).rows]
