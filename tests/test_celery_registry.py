"""Every task a worker can be asked to run is registered in a worker booted as `celery -A config worker`
boots (production settings, not eager): the tasks the source declares, the names it queues, and every beat
entry. An unregistered name is a message the worker drops ("Received unregistered task")."""
import ast
import json
import os
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent
APPS = ("config", "storefront", "referrals", "coupons", "fraud")
# Calls that queue a task by its name: the name is their first argument.
BY_NAME = {"send_task", "task_enqueue", "task_enqueue_on_commit"}
HELPER = ROOT / "storefront" / "queueing.py"

BOOT = """
import json
from django.conf import settings
from config.celery import app

app.loader.import_default_modules()  # what the worker does at start-up (celery.worker.WorkController)
print(json.dumps({
    "registered": sorted(app.tasks),
    "beat": {key: entry["task"] for key, entry in settings.CELERY_BEAT_SCHEDULE.items()},
    "eager": bool(app.conf.task_always_eager),
}))
"""


def _worker_view() -> dict:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": "registry-" + "x" * 60,
        "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "BIGCOMMERCE_CLIENT_ID": "registry",
        "BIGCOMMERCE_CLIENT_SECRET": "registry",
        "ALLOWED_HOSTS": "app.example.com",
        # Never contacted: registering tasks needs no broker, but production is not eager only with one.
        "CELERY_BROKER_URL": "redis://127.0.0.1:1/0",
    }
    env.pop("DATABASE_URL", None)
    done = subprocess.run([sys.executable, "-c", BOOT], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def _sources():
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path, ast.parse(path.read_text(), filename=str(path))


def _keyword(call: ast.Call, name: str):
    return next((kw.value for kw in call.keywords if kw.arg == name), None)


def _declared_tasks() -> dict[str, str]:
    """{function name: task name} of every @shared_task(name=...) / @app.task(name=...) in the apps."""
    declared = {}
    for path, tree in _sources():
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef):
                continue
            for decorator in node.decorator_list:
                if not isinstance(decorator, ast.Call):
                    continue
                func = decorator.func
                called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
                if called not in {"shared_task", "task"}:
                    continue
                name = _keyword(decorator, "name")
                assert isinstance(name, ast.Constant), f"{path}:{node.lineno}: a task without a literal name="
                declared[node.name] = name.value
    return declared


def _queued_names(declared: dict[str, str]) -> set[str]:
    """Task names the apps queue: by name (send_task / the queueing helper), or .delay/.apply_async on a task."""
    queued = set()
    for path, tree in _sources():
        if path == HELPER:  # it queues whatever name it is given
            continue
        aliases = {alias.asname: alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                   for alias in node.names if alias.asname}
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, (ast.Attribute, ast.Name))):
                continue
            called = node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            if called in BY_NAME:
                assert node.args and isinstance(node.args[0], ast.Constant), f"{where}: task name not a literal"
                queued.add(node.args[0].value)
            elif called in {"delay", "apply_async"} and isinstance(node.func, ast.Attribute):
                target = node.func.value
                target_name = target.id if isinstance(target, ast.Name) else getattr(target, "attr", "")
                target_name = aliases.get(target_name, target_name)
                assert target_name in declared, f"{where}: .{called}() on {target_name!r}, not a declared task"
                queued.add(declared[target_name])
    return queued


def test_a_worker_booted_like_production_registers_every_task_the_app_declares_queues_or_schedules():
    view = _worker_view()
    assert view["eager"] is False
    registered = set(view["registered"])
    declared = _declared_tasks()
    queued = _queued_names(declared)
    assert len(declared) >= 20 and queued  # the parse found the apps' tasks

    missing = {
        "declared": sorted(set(declared.values()) - registered),
        "queued": sorted(queued - registered),
        "beat": sorted(f"{key} -> {task}" for key, task in view["beat"].items() if task not in registered),
    }
    assert missing == {"declared": [], "queued": [], "beat": []}
