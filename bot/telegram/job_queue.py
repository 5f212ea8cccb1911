"""PTB's JobQueue, with every job run over the whole deployment, never in a sender's scope."""

from __future__ import annotations

from typing import Any

from telegram.ext import Job, JobQueue

from models import scope


class DeploymentJobQueue(JobQueue[Any]):
    """Jobs (schedules, summary refreshes, conversation time-outs) start unscoped.

    APScheduler arms its timer in whatever context added the latest job, often a commune
    officer's or a head's update: without this, the next job would run narrowed to that
    commune, find no province-wide schedule and drop it.
    """

    @staticmethod
    async def job_callback(job_queue: JobQueue[Any], job: Job[Any]) -> None:
        """Run the job in its own task's context, reset to the whole deployment first."""
        scope.enter(None)  # this task's copy only: the update that armed the timer is untouched
        await job.run(job_queue.application)
