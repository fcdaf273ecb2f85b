"""Real services for the integration and e2e tests, started on free loopback ports.

- Redis: a real ``redis-server`` (one per test session, flushed before each test).
- MongoDB wire protocol: a real SecantusDB server (``secantusd-py``), one per session, a fresh database per test.
- Celery: a real worker consuming from that Redis (in-process threads here; the crash test runs a subprocess).
- The API: the real Flask app served by Werkzeug on a free port.
- For the fault tests (``tests/integration/faults``): a RabbitMQ node of the tests' own (Debian's
  ``rabbitmq-server``, on free loopback ports, its files in a temporary folder; the machine's own RabbitMQ is
  never touched), and Redis and SecantusDB servers a test may stop and restart on the same port.

A service that cannot start fails the test run: integration tests never skip silently.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pymongo
import pytest
import redis

from worker.settings import Settings

REPO_ROOT = Path(__file__).resolve().parent.parent
STARTUP_SECONDS = 30.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(check: Callable[[], bool], *, timeout: float, what: str, interval: float = 0.05) -> None:
    """Poll ``check`` until it is true, or fail the test saying what never became ready."""
    deadline = time.monotonic() + timeout
    last_error: BaseException | None = None
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except Exception as exc:  # not ready yet
            last_error = exc
        time.sleep(interval)
    pytest.fail(f"{what} did not become ready within {timeout:.0f}s (last error: {last_error!r})")


def wait_for_idle_queue(redis_url: str, *, timeout: float = 30, queue: str = "celery") -> None:
    """Wait until no task waits or runs on the worker's Redis: the queue and kombu's unacknowledged set are
    empty. Tasks are acknowledged late (after they returned and stored whatever they store), so once the worker
    has taken a task (the test saw it start to write), this is "it has finished", for tasks whose result is not
    stored (nothing to ``.get()``)."""
    client = redis.Redis.from_url(redis_url)
    idle_polls = [0]

    def idle() -> bool:
        # A message the worker has just popped is in neither for an instant: idle three polls in a row.
        idle_polls[0] = idle_polls[0] + 1 if client.llen(queue) == 0 and client.hlen("unacked") == 0 else 0
        return idle_polls[0] >= 3

    try:
        wait_until(idle, timeout=timeout, what="an idle task queue")
    finally:
        client.close()


@dataclass
class ServiceProcess:
    name: str
    process: subprocess.Popen[bytes]
    url: str
    log_path: Path
    #: How to start it again on the same port (``restart``), and how to tell it is ready.
    argv: list[str] | None = None
    env: dict[str, str] | None = None
    ready: Callable[[], bool] | None = None

    def stop(self) -> None:
        """Stop it (SIGTERM to its process group, SIGKILL after 20 s) and wait until it is gone."""
        if self.process.poll() is None:
            _signal_group(self.process, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                _signal_group(self.process, signal.SIGKILL)
                self.process.wait(timeout=10)

    def kill(self) -> None:
        """SIGKILL, no goodbye (a crashed server)."""
        if self.process.poll() is None:
            _signal_group(self.process, signal.SIGKILL)
            self.process.wait(timeout=10)

    def start_again(self) -> None:
        """Start it again with the same command line (the same port and files); waits until it answers."""
        assert self.argv is not None and self.ready is not None, f"{self.name} cannot be restarted"
        self.process = _spawn(self.argv, self.log_path, self.env)
        wait_until(self.ready, timeout=STARTUP_SECONDS, what=f"{self.name} restarted")

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def _signal_group(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        if os.getpgid(process.pid) == process.pid:
            os.killpg(process.pid, sig)  # a service started in its own session: its children go too
        else:
            process.send_signal(sig)


def _spawn(argv: list[str], log_path: Path, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    with log_path.open("ab") as log:
        return subprocess.Popen(
            argv, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True, cwd=log_path.parent
        )


def _require_binary(name: str, hint: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed ({hint}); integration tests need it and never skip")
    return path


def start_redis(workdir: Path, *, name: str = "redis", appendonly: bool = False) -> ServiceProcess:
    """A redis-server on a free port. ``appendonly``: every write is logged to disk (fsync each second), so
    a restart (``stop`` + ``start_again``) keeps the queue, as a production Redis configured for it does."""
    binary = _require_binary("redis-server", "apt-get install redis-server")
    port = free_port()
    log_path = workdir / f"{name}.log"
    argv = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
            "--appendonly", "yes" if appendonly else "no", "--appendfilename", f"{name}.aof",
            "--appenddirname", f"{name}-aof", "--dir", str(workdir), "--logfile", str(log_path)]  # fmt: skip
    url = f"redis://127.0.0.1:{port}/0"

    def ready() -> bool:
        with redis.Redis.from_url(url, socket_connect_timeout=1) as client:
            return bool(client.ping())

    proc = _spawn(argv, workdir / f"{name}.out")
    service = ServiceProcess(name, proc, url, log_path, argv=argv, ready=ready)
    wait_until(ready, timeout=STARTUP_SECONDS, what=f"redis-server on port {port}")
    return service


def start_secantus(workdir: Path, *, name: str = "secantus", storage: str = ":memory:") -> ServiceProcess:
    """A SecantusDB server on a free port; ``storage`` a folder keeps its data across ``start_again``."""
    binary = _require_binary("secantusd-py", "pip install secantusdb")
    port = free_port()
    log_path = workdir / f"{name}.log"
    argv = [binary, "--storage-path", storage, "--port", str(port)]
    url = f"mongodb://127.0.0.1:{port}"

    def ready() -> bool:
        client: pymongo.MongoClient[dict[str, Any]] = pymongo.MongoClient(url, serverSelectionTimeoutMS=500)
        try:
            return bool(client.admin.command("ping"))
        finally:
            client.close()

    service = ServiceProcess("secantusdb", _spawn(argv, log_path), url, log_path, argv=argv, ready=ready)
    wait_until(ready, timeout=STARTUP_SECONDS, what=f"secantusd-py on port {port}")
    return service


def start_rabbitmq(workdir: Path) -> ServiceProcess:
    """A RabbitMQ node of our own: its own node name, AMQP and distribution ports on loopback, and its
    database, logs, cookie and (empty) config in ``workdir``; the machine's RabbitMQ is left alone."""
    # Debian's /usr/sbin wrapper switches to the rabbitmq user and the system's files; the script it wraps
    # runs as whoever starts it, with the files the environment names.
    binary = shutil.which("rabbitmq-server", path="/usr/lib/rabbitmq/bin") or shutil.which("rabbitmq-server")
    if binary is None:
        pytest.fail("rabbitmq-server is not installed (make setup-system); the fault tests need it")
    port, dist_port = free_port(), free_port()
    home = workdir / f"rabbitmq-{port}"
    (home / "mnesia").mkdir(parents=True)
    (home / "log").mkdir()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("RABBITMQ_", "ERL_"))},
        "HOME": str(home),  # its own .erlang.cookie
        "RABBITMQ_NODENAME": f"lj-test-{port}@localhost",
        "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
        "RABBITMQ_NODE_PORT": str(port),
        "RABBITMQ_DIST_PORT": str(dist_port),
        "RABBITMQ_MNESIA_BASE": str(home / "mnesia"),
        "RABBITMQ_LOG_BASE": str(home / "log"),
        "RABBITMQ_CONFIG_FILE": str(home / "rabbitmq"),  # none there: defaults (guest works on loopback)
        "RABBITMQ_ENABLED_PLUGINS_FILE": str(home / "enabled_plugins"),
        "RABBITMQ_ENABLED_PLUGINS": "",
    }
    argv = [binary]

    def ready() -> bool:
        import kombu

        with kombu.Connection(f"amqp://guest:guest@127.0.0.1:{port}//", connect_timeout=1) as conn:
            conn.ensure_connection(max_retries=1)
        return True

    log_path = home / "server.log"
    service = ServiceProcess(
        "rabbitmq", _spawn(argv, log_path, env), f"amqp://guest:guest@127.0.0.1:{port}//", log_path,
        argv=argv, env=env, ready=ready,
    )  # fmt: skip
    wait_until(ready, timeout=60, what=f"rabbitmq-server on port {port}", interval=0.25)
    return service


@pytest.fixture(scope="session")
def service_dir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="lj-services-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def redis_service(service_dir: Path) -> Iterator[ServiceProcess]:
    service = start_redis(service_dir)
    yield service
    service.stop()


@pytest.fixture(scope="session")
def mongo_service(service_dir: Path) -> Iterator[ServiceProcess]:
    service = start_secantus(service_dir)
    yield service
    service.stop()


@pytest.fixture(scope="session")
def rabbitmq_service(service_dir: Path) -> Iterator[ServiceProcess]:
    """A RabbitMQ node for this session (started on first use: only the fault tests ask for it)."""
    service = start_rabbitmq(service_dir)
    yield service
    service.stop()


@pytest.fixture
def redis_url(redis_service: ServiceProcess) -> str:
    """A real Redis, emptied for this test (it is ours alone: started by this session)."""
    client = redis.Redis.from_url(redis_service.url)
    client.flushall()
    client.close()
    return redis_service.url


@pytest.fixture
def mongo_url(mongo_service: ServiceProcess) -> str:
    return mongo_service.url


@pytest.fixture
def mongo_db_name() -> str:
    return f"lj_test_{uuid.uuid4().hex[:12]}"


class IsolatedSettings(Settings):
    """Settings that read only what the test passes: never this machine's environment or a .env file."""

    @classmethod
    def settings_customise_sources(
        cls, settings_cls: Any, init_settings: Any, *args: Any, **kwargs: Any
    ) -> Any:
        return (init_settings,)


def make_settings(**env: Any) -> Settings:
    """Settings for a test, by environment-variable name (``REDIS_URL=...``)."""
    values = {
        "API_TOKENS": "test-token",
        "JWT_SECRET": "test-jwt-secret-of-at-least-32-bytes!!",
        "RATE_LIMIT": "100000/minute",  # tests poll fast; the rate-limit tests set their own
        **env,
    }
    return IsolatedSettings(**{k: v for k, v in values.items() if v is not None})


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    """Extra settings for the tests of a module or folder (override this fixture there)."""
    return {}


@pytest.fixture
def settings(
    redis_url: str,
    mongo_url: str,
    mongo_db_name: str,
    jenkins_double: Any,
    settings_overrides: dict[str, Any],
) -> Iterator[Settings]:
    """Settings wired to this test's Redis, fresh MongoDB database and Jenkins double."""
    values: dict[str, Any] = {
        "REDIS_URL": redis_url,
        "MONGO_URL": mongo_url,
        "MONGO_DB": mongo_db_name,
        "JENKINS_URL": jenkins_double.url,
        "JENKINS_USER": jenkins_double.user,
        "JENKINS_TOKEN": jenkins_double.token,
        "PUBLIC_API_URL": "http://assistant.example",
        "LOG_FORMAT": "console",
    }
    yield make_settings(**{**values, **settings_overrides})
    client: pymongo.MongoClient[dict[str, Any]] = pymongo.MongoClient(mongo_url)
    client.drop_database(mongo_db_name)
    client.close()


@pytest.fixture
def storage(settings: Settings) -> Iterator[Any]:
    from worker.storage import Storage

    store = Storage.from_settings(settings)
    yield store
    store.close()


@pytest.fixture
def celery_worker(settings: Settings) -> Iterator[Any]:
    """A real Celery worker (threads pool, in this process) consuming this test's Redis queue."""
    from celery.contrib.testing.worker import start_worker

    from worker.celery_app import app
    from worker.context import WorkerContext, set_context

    app.conf.update(broker_url=settings.redis_url, result_backend=settings.redis_url)
    app.conf.langchain_jenkins_settings = settings
    context = WorkerContext(settings)
    set_context(context)
    try:
        with start_worker(
            app,
            pool="threads",
            concurrency=2,
            perform_ping_check=False,
            shutdown_timeout=20.0,
            loglevel="WARNING",
        ) as worker:
            yield worker
    finally:
        set_context(None)
        if "storage" in context.__dict__:
            context.storage.close()


@dataclass
class RunningAPI:
    url: str
    token: str
    settings: Settings


@contextlib.contextmanager
def serve_api(settings: Settings) -> Iterator[RunningAPI]:
    """The real Flask API on a free loopback port (Werkzeug, threaded) while the block runs."""
    from werkzeug.serving import make_server

    from api.app import create_app

    app = create_app(settings)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="api-server", daemon=True)
    thread.start()
    try:
        yield RunningAPI(url=f"http://127.0.0.1:{server.server_port}", token="test-token", settings=settings)
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture
def api_server(settings: Settings, celery_worker: Any) -> Iterator[RunningAPI]:
    """The real Flask API on a free loopback port, in front of the real worker."""
    with serve_api(settings) as api:
        yield api


def worker_subprocess_env(settings: Settings, **extra: str) -> dict[str, str]:
    """Environment for a worker subprocess (the crash test) built from test settings."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "JENKINS_", "MONGO_", "REDIS_"))
    }
    env.update(
        REDIS_URL=settings.redis_url,
        MONGO_URL=settings.mongo_url,
        MONGO_DB=settings.mongo_db,
        LOG_FORMAT="console",
        PYTHONPATH=str(REPO_ROOT),
    )
    if settings.jenkins_url:
        env["JENKINS_URL"] = settings.jenkins_url
    if settings.jenkins_user:
        env["JENKINS_USER"] = settings.jenkins_user
    if settings.jenkins_token:
        env["JENKINS_TOKEN"] = settings.jenkins_token.get_secret_value()
    env.update(extra)
    return env


PYTHON = sys.executable
