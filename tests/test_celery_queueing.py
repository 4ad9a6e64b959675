"""Queueing a task by name (storefront.queueing): runs it in the caller when eager, publishes it by name
to the broker otherwise, after commit when asked, and finds every app's task in a process that never
imported a tasks module (the web process)."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
from celery import shared_task

from config.celery import app as celery_app
from storefront.queueing import registered_task, task_enqueue, task_enqueue_on_commit

ROOT = Path(__file__).resolve().parent.parent
probe_calls: list[int] = []


@shared_task(name="tests.queueing_probe")
def queueing_probe(value: int) -> None:
    probe_calls.append(value)


@pytest.fixture(autouse=True)
def _fresh_probe():
    probe_calls.clear()


def test_eager_mode_runs_the_named_task_in_the_caller():
    assert celery_app.conf.task_always_eager
    task_enqueue("tests.queueing_probe", 7)
    assert probe_calls == [7]


@pytest.mark.django_db
def test_on_commit_the_named_task_runs_only_when_the_transaction_commits(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        task_enqueue_on_commit("tests.queueing_probe", 8)
        assert probe_calls == []
    assert len(callbacks) == 1 and probe_calls == [8]


def test_with_a_broker_the_named_task_is_published_not_run(monkeypatch):
    published = []
    monkeypatch.setattr(celery_app, "send_task", lambda name, args=None, kwargs=None, **kw: published.append((name, args)))
    celery_app.conf.task_always_eager = False
    try:
        task_enqueue("tests.queueing_probe", 9)
    finally:
        celery_app.conf.task_always_eager = True
    assert published == [("tests.queueing_probe", (9,))] and probe_calls == []


def test_a_name_no_app_declares_fails_in_the_caller():
    with pytest.raises(KeyError):
        task_enqueue_on_commit("referrals.no_such_task", 1)


def test_a_process_that_imported_no_tasks_module_finds_every_app_task_by_name():
    script = (
        "import django; django.setup()\n"
        "from celery import current_app\n"
        "from storefront.queueing import registered_task\n"
        "assert 'referrals.reward_issue' not in current_app.tasks, 'already registered: the test proves nothing'\n"
        "for name in ('referrals.reward_issue', 'referrals.friendbuy_delivery_process', 'coupons.refill_pools',\n"
        "             'fraud.auto_decide', 'storefront.scripts_check_all', 'referrals.analytics_sync_all'):\n"
        "    assert registered_task(name).name == name\n"
        "print('ok')\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    env.pop("DATABASE_URL", None)
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr


def test_registered_task_is_the_object_the_app_declares():
    from referrals.tasks.rewards import reward_issue_task

    assert registered_task("referrals.reward_issue") is reward_issue_task._get_current_object()
