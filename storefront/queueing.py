"""Queue a Celery task by its registered name, so services never import task modules (tasks call services;
services importing tasks back would be a circle).

The task is looked up in the app's registry and queued through its own `.delay()`, which honours
task_always_eager (the tests and the demo without a broker run it in-process at once); `app.send_task()`
would publish to a broker regardless. The registry is filled as the worker fills it (every installed app's
`tasks` package) the first time a name is missing, so the web process knows every name a worker knows, and a
name no app declares fails loudly here instead of being dropped by the worker.
"""
from functools import partial

from celery import current_app
from celery.app.task import Task
from django.db import transaction


def registered_task(name: str) -> Task:
    """The task registered under `name`; KeyError if no installed app's tasks package declares it."""
    tasks = current_app.tasks
    if name not in tasks:
        current_app.autodiscover_tasks(force=True)  # imports <app>.tasks for every installed app
    return tasks[name]


def tasks_run_inline() -> bool:
    """True when queued tasks run in the caller (task_always_eager: no broker configured)."""
    return bool(current_app.conf.task_always_eager)


def task_enqueue(name: str, /, *args) -> None:
    """Queue the task `name` with these (id) arguments now."""
    registered_task(name).delay(*args)


def task_enqueue_later(name: str, /, *args, countdown: float) -> None:
    """Queue the task `name` to run `countdown` seconds from now (a task putting itself back: storefront.bulk)."""
    registered_task(name).apply_async(args=args, countdown=countdown)


def task_enqueue_on_commit(name: str, /, *args) -> None:
    """Queue the task `name` once the current transaction commits (at once outside one)."""
    registered_task(name)  # an unknown name fails in the caller, not later in a commit hook
    transaction.on_commit(partial(task_enqueue, name, *args))
