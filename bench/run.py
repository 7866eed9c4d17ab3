"""`make bench`: seed 20,000 and then 200,000 tickets on PostgreSQL and on SQLite, and measure
the JSON API served by 2 gunicorn workers on 127.0.0.1. Prints one JSON object per line.

Environment:
  BENCH_DATABASE_URL   PostgreSQL database to use (emptied first!). Without it, SQLite only.
  BENCH_SQLITE_PATH    SQLite file (default /tmp/samdesk-bench/bench.db; deleted first).
  BENCH_DATABASES      "postgresql,sqlite" (default: both that are available).
  BENCH_SIZES          ticket counts to seed up to, e.g. "2000,20000" (default "20000,200000").
  BENCH_SAMPLES        requests per latency figure (default 200).
  BENCH_CREATE         tickets created through the API per size (default 2000).
  BENCH_CONCURRENCY    client threads creating tickets (default 8).

What is measured, per database and size (see docs/performance.md):
  - list_first / list_deep / list_walk: a first-line agent's queue listing
    (GET /api/v1/tickets?queue=gran-forstelinje): the first page, a page 90 % down the queue
    (cursor taken from deep in the data), and the pages reached by following next_cursor;
  - list_second_line: the second line's pooled queue; search: q=<word>, as the first-line agent;
  - detail: GET /api/v1/tickets/<ref> as the first-line agent (writes the access log);
  - create: tickets/s created by a concurrent client (POST /api/v1/tickets as employees);
  - queries: SQL statements per request, counted in-process.
Latencies are wall-clock times seen by a client on the same machine, one request at a time.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
WORK = Path(os.environ.get("BENCH_WORK_DIR", "/tmp/samdesk-bench"))
os.environ.setdefault("SAMDESK_INSTANCE_DIR", str(WORK / "instance"))

import sqlalchemy as sa  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from bench import scenarios, seed  # noqa: E402

TARGET_LIST_P95_MS = 30.0
TARGET_GROWTH = 1.5
TARGET_CREATE_PER_S = 200.0
RESULTS: list[dict[str, Any]] = []


def emit(**fields: Any) -> None:
    RESULTS.append(fields)
    print(json.dumps(fields, ensure_ascii=False), flush=True)


def note(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


# ---------------------------------------------------------------------------------------------
# The server under test


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_env(url: str) -> dict[str, str]:
    env = dict(os.environ)
    env["DATABASE_URL"] = url
    env["SAMDESK_INSTANCE_DIR"] = os.environ["SAMDESK_INSTANCE_DIR"]
    env.pop("FLASK_DEBUG", None)
    return env


@contextmanager
def gunicorn(url: str, *, env: dict[str, str] | None = None) -> Iterator[tuple[int, int]]:
    """2 sync workers on a free port of 127.0.0.1 (``env``: the whole environment, when a
    benchmark needs its own settings); yields the port and the master's pid."""
    port = free_port()
    log = open(WORK / "gunicorn.log", "a")  # noqa: SIM115 - closed below
    bin_dir = Path(sys.executable).parent
    proc = subprocess.Popen(
        [str(bin_dir / "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}", "wsgi:app"],
        cwd=ROOT, env=env or server_env(url), stdout=log, stderr=log,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                status, _ = request(port, "GET", "/healthz")
                if status == 200:
                    break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not start; see {WORK / 'gunicorn.log'}")
            time.sleep(0.2)
        yield port, proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of processes (from /proc), in seconds."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        total += int(fields[11]) + int(fields[12])
    return total / ticks


def server_pids(master: int) -> list[int]:
    """The gunicorn master and its workers."""
    try:
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    except FileNotFoundError:
        children = []
    return [master, *(int(c) for c in children)]


def postgres_backends(url: str) -> list[int]:
    """PostgreSQL backends serving ``url``'s database (their process title names it)."""
    name = sa.engine.make_url(url).database or ""
    if not url.startswith("postgres"):
        return []
    pids = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            title = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if title.startswith("postgres: ") and f" {name} " in title:
            pids.append(int(proc.name))
    return pids


def request(
    port: int, method: str, path: str, *, token: str | None = None, body: Any = None
) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    payload = None
    if body is not None:
        payload = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    try:
        conn.request(method, path, body=payload, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def create_token(url: str, email: str) -> str:
    """A bearer token from `flask --app wsgi token create` (the token is the last line)."""
    bin_dir = Path(sys.executable).parent
    out = subprocess.run(
        [str(bin_dir / "flask"), "--app", "wsgi", "token", "create", email, "--name", "bench"],
        cwd=ROOT, env=server_env(url), check=True, capture_output=True, text=True,
    )
    return out.stdout.strip().splitlines()[-1]


# ---------------------------------------------------------------------------------------------
# Measurements


def timed(port: int, path: str, token: str, samples: int) -> list[float]:
    times = []
    for _ in range(samples):
        started = time.perf_counter()
        status, body = request(port, "GET", path, token=token)
        times.append((time.perf_counter() - started) * 1000)
        if status != 200:
            raise RuntimeError(f"GET {path} answered {status}: {body[:300]!r}")
    return times


def latency(db_name: str, size: int, metric: str, times: list[float], **extra: Any) -> None:
    emit(db=db_name, tickets=size, metric=metric, n=len(times),
         p50_ms=round(percentile(times, 50), 2), p95_ms=round(percentile(times, 95), 2),
         max_ms=round(max(times), 2), **extra)


def list_path(**params: Any) -> str:
    return "/api/v1/tickets?" + urlencode({k: v for k, v in params.items() if v is not None})


def measure_reads(db_name: str, size: int, port: int, tokens: dict[str, str], deep: str,
                  refs: list[str], samples: int) -> None:
    agent = tokens[scenarios.FIRST_LINE_AGENT]
    second = tokens[scenarios.SECOND_LINE_AGENT]
    first_page = list_path(queue=scenarios.FIRST_LINE_QUEUE)
    deep_page = list_path(queue=scenarios.FIRST_LINE_QUEUE, cursor=deep)
    # Warm both workers (imports, compiled statements, connection pools).
    for path in (first_page, deep_page, list_path(q="skriveren")):
        timed(port, path, agent, 10)
    latency(db_name, size, "list_first", timed(port, first_page, agent, samples),
            path=first_page)
    latency(db_name, size, "list_deep", timed(port, deep_page, agent, samples),
            path=list_path(queue=scenarios.FIRST_LINE_QUEUE, cursor="<90% down>"))
    # Follow next_cursor page after page, as an agent scrolling would.
    walk: list[float] = []
    cursor = None
    while len(walk) < samples:
        started = time.perf_counter()
        status, body = request(port, "GET", list_path(queue=scenarios.FIRST_LINE_QUEUE, cursor=cursor),
                               token=agent)
        walk.append((time.perf_counter() - started) * 1000)
        assert status == 200, body[:300]
        cursor = json.loads(body)["next_cursor"]
        if cursor is None:
            break
    latency(db_name, size, "list_walk", walk, pages=len(walk))
    latency(db_name, size, "list_open", timed(
        port, list_path(queue=scenarios.FIRST_LINE_QUEUE, status="new,open,waiting"), agent, samples))
    latency(db_name, size, "list_second_line", timed(
        port, list_path(queue=scenarios.SECOND_LINE_QUEUE), second, samples))
    every: list[float] = []
    for term in scenarios.SEARCH_TERMS:
        times = timed(port, list_path(q=term), agent, max(20, samples // 4))
        every += times
        latency(db_name, size, "search", times, q=term)
    latency(db_name, size, "search_all", every, q=",".join(scenarios.SEARCH_TERMS))
    detail: list[float] = []
    for ref in refs[:samples]:
        detail += timed(port, f"/api/v1/tickets/{ref}", agent, 1)
    latency(db_name, size, "detail", detail)


def measure_create(db_name: str, size: int, port: int, tokens: dict[str, str], total: int,
                   concurrency: int, *, server: list[int], url: str) -> None:
    employee_tokens = [tokens[e] for e in scenarios.EMPLOYEES]
    rng = random.Random(size)
    subjects = [seed._subject(rng, code) for code in ("GRA", "LUN", "JEV") for _ in range(50)]
    counter = iter(range(total))
    lock = threading.Lock()
    failures: list[str] = []
    times: list[float] = []

    def worker(index: int) -> None:
        token = employee_tokens[index % len(employee_tokens)]
        while True:
            with lock:
                n = next(counter, None)
            if n is None:
                return
            body = {"subject": subjects[n % len(subjects)], "body": f"Hei! {seed.BODIES[n % 7]}",
                    "category": "software", "priority": "normal"}
            started = time.perf_counter()
            status, answer = request(port, "POST", "/api/v1/tickets", token=token, body=body)
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                times.append(elapsed)
                if status != 201:
                    failures.append(f"{status}: {answer[:200]!r}")

    # Warm-up outside the timing.
    for i in range(6):
        request(port, "POST", "/api/v1/tickets", token=employee_tokens[i % len(employee_tokens)],
                body={"subject": "Oppvarming", "body": "Første sak for å varme opp."})
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(concurrency)]
    backends = postgres_backends(url)
    cpu_before = (cpu_seconds(server), cpu_seconds(backends), time.process_time())
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    backends = sorted(set(backends) | set(postgres_backends(url)))
    cpu = (cpu_seconds(server) - cpu_before[0], cpu_seconds(backends) - cpu_before[1],
           time.process_time() - cpu_before[2])
    # CPU spent per ticket by the app, the database server and this client: what the machine
    # could create with all its cores to itself, whatever else ran meanwhile.
    per_ticket = [round(c * 1000 / total, 2) for c in cpu]
    capacity = (os.cpu_count() or 1) * 1000 / max(sum(per_ticket), 0.001)
    emit(db=db_name, tickets=size, metric="create", created=total - len(failures), seconds=round(elapsed, 2),
         concurrency=concurrency, tickets_per_s=round((total - len(failures)) / elapsed, 1),
         p50_ms=round(percentile(times, 50), 2), p95_ms=round(percentile(times, 95), 2),
         cpu_ms_per_ticket={"gunicorn": per_ticket[0], "postgres": per_ticket[1], "client": per_ticket[2]},
         cpu_bound_per_s=round(capacity, 1), load_average=round(os.getloadavg()[0], 2),
         errors=len(failures), first_error=failures[0] if failures else None)


def count_queries(db_name: str, size: int, app: Any, tokens: dict[str, str], ref: str) -> None:
    """SQL statements per request, counted in-process with a before_cursor_execute listener."""
    client = app.test_client()
    agent = {"Authorization": f"Bearer {tokens[scenarios.FIRST_LINE_AGENT]}"}
    employee = {"Authorization": f"Bearer {tokens[scenarios.EMPLOYEES[0]]}"}
    statements: list[str] = []

    def count(_c: Any, _cur: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    calls: list[tuple[str, Callable[[], Any]]] = [
        ("list", lambda: client.get(list_path(queue=scenarios.FIRST_LINE_QUEUE), headers=agent)),
        ("list_search", lambda: client.get(list_path(q="skriveren"), headers=agent)),
        ("detail", lambda: client.get(f"/api/v1/tickets/{ref}", headers=agent)),
        ("create", lambda: client.post("/api/v1/tickets", headers=employee,
                                       json={"subject": "Telling av spørringer", "body": "Hei!"})),
    ]
    with app.app_context():
        engine = db.engine
    for endpoint, call in calls:
        call()  # warm: first-request work is not per-request work
        sa.event.listen(engine, "before_cursor_execute", count)
        try:
            statements.clear()
            response = call()
            assert response.status_code in (200, 201), response.get_data(as_text=True)[:300]
            items = len(response.get_json().get("items", [])) if endpoint.startswith("list") else None
        finally:
            sa.event.remove(engine, "before_cursor_execute", count)
        emit(db=db_name, tickets=size, metric="queries", endpoint=endpoint, queries=len(statements),
             items=items, statements=[s.split()[0] + " " + _table_of(s) for s in statements])


def _table_of(statement: str) -> str:
    words = statement.replace("\n", " ").split()
    for keyword in ("FROM", "INTO", "UPDATE"):
        if keyword in words:
            i = words.index(keyword)
            if i + 1 < len(words):
                return words[i + 1]
    return ""


# ---------------------------------------------------------------------------------------------
# One database, all sizes


def bench_database(db_name: str, url: str, sizes: list[int]) -> None:
    samples = int(os.environ.get("BENCH_SAMPLES", "200"))
    create_total = int(os.environ.get("BENCH_CREATE", "2000"))
    concurrency = int(os.environ.get("BENCH_CONCURRENCY", "8"))
    note(f"{db_name}: fresh database, migrations, demo world")
    seed.reset_database(url)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SAMDESK_FAST_PASSWORD_HASH": True})
    world = seed.build_world(app)
    tokens = {email: create_token(url, email) for email in
              (scenarios.FIRST_LINE_AGENT, scenarios.SECOND_LINE_AGENT, *scenarios.EMPLOYEES)}
    for size in sizes:
        with app.app_context():
            have = seed.count_tickets()
        if size > have:
            note(f"{db_name}: seeding {size - have} tickets in bulk (to {size})")
            started = time.perf_counter()
            seed.add_tickets(app, world, size - have, seed=size)
            seed.analyze(app)
            emit(db=db_name, tickets=size, metric="seed", added=size - have,
                 seconds=round(time.perf_counter() - started, 1))
        with app.app_context():
            from app.accounts import queries as accounts

            agent = accounts.user_by_email(scenarios.FIRST_LINE_AGENT)
            assert agent is not None
            deep = scenarios.deep_cursor(agent, scenarios.FIRST_LINE_QUEUE)
            refs = list(db.session.scalars(sa.text(
                "SELECT ref FROM tickets WHERE municipality_id = :m ORDER BY id"
            ), {"m": agent.municipality_id}))
            total = seed.count_tickets()
            db.session.remove()
        refs = random.Random(size).sample(refs, min(len(refs), samples))
        note(f"{db_name}: {total} tickets: counting queries")
        count_queries(db_name, size, app, tokens, refs[0])
        note(f"{db_name}: {total} tickets: latencies through gunicorn")
        with gunicorn(url) as (port, master):
            measure_reads(db_name, size, port, tokens, deep, refs, samples)
            note(f"{db_name}: {total} tickets: creating {create_total} tickets through the API")
            measure_create(db_name, size, port, tokens, create_total, concurrency,
                           server=server_pids(master), url=url)
    with app.app_context():
        db.engine.dispose()


def summary(sizes: list[int]) -> None:
    """One line per database: the targets of issue 3, met or not."""
    small, large = min(sizes), max(sizes)
    for db_name in sorted({r["db"] for r in RESULTS if "db" in r}):
        def fig(metric: str, size: int, key: str = "p95_ms", name: str = db_name) -> float | None:
            for r in RESULTS:
                if r.get("db") == name and r.get("metric") == metric and r.get("tickets") == size:
                    return float(r[key])
            return None

        checks: dict[str, Any] = {}
        for metric in ("list_first", "list_deep"):
            p95_large, p95_small = fig(metric, large), fig(metric, small)
            if p95_large is None or p95_small is None:
                continue
            checks[f"{metric}_p95_under_{int(TARGET_LIST_P95_MS)}ms"] = p95_large < TARGET_LIST_P95_MS
            checks[f"{metric}_growth"] = round(p95_large / p95_small, 2)
            checks[f"{metric}_growth_within_{TARGET_GROWTH}x"] = p95_large <= TARGET_GROWTH * p95_small
        rates = [fig("create", s, "tickets_per_s") for s in sizes]
        checks["create_min_per_s"] = min(r for r in rates if r is not None) if any(rates) else None
        checks[f"create_at_least_{int(TARGET_CREATE_PER_S)}_per_s"] = all(
            r is not None and r >= TARGET_CREATE_PER_S for r in rates
        )
        emit(db=db_name, metric="targets", sizes=[small, large], **checks)


def machine() -> dict[str, Any]:
    info: dict[str, Any] = {"nproc": os.cpu_count()}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                info["memory_gib"] = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return info


def main() -> None:
    WORK.mkdir(parents=True, exist_ok=True)
    Path(os.environ["SAMDESK_INSTANCE_DIR"]).mkdir(parents=True, exist_ok=True)
    sizes = sorted(seed.iter_sizes(os.environ.get("BENCH_SIZES"), (20_000, 200_000)))
    targets: dict[str, str] = {}
    pg_url = os.environ.get("BENCH_DATABASE_URL", "")
    if pg_url.startswith("postgres"):
        targets["postgresql"] = pg_url
    sqlite_path = os.environ.get("BENCH_SQLITE_PATH", str(WORK / "bench.db"))
    targets["sqlite"] = f"sqlite:///{sqlite_path}"
    wanted = os.environ.get("BENCH_DATABASES")
    if wanted:
        targets = {k: v for k, v in targets.items() if k in wanted.split(",")}
    started = time.perf_counter()
    emit(metric="machine", sizes=sizes, databases=list(targets), **machine())
    for db_name, url in targets.items():
        bench_database(db_name, url, sizes)
    summary(sizes)
    emit(metric="total", seconds=round(time.perf_counter() - started, 1))
    run_mail_bench()
    run_privacy_bench()
    run_knowledge_bench()
    results = WORK / "results.jsonl"
    results.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in RESULTS))
    note(f"results in {results}")


def run_mail_bench() -> None:
    """Helper benchmarks of other parts (bench/mail.py, bench/sla.py, bench/telephony.py,
    bench/training.py) print their own JSON lines."""
    import importlib
    import importlib.util

    for name in ("bench.mail", "bench.sla", "bench.telephony", "bench.training", "bench.systems"):
        if importlib.util.find_spec(name) is None:
            continue
        module = importlib.import_module(name)
        main_fn = getattr(module, "main", None)
        if main_fn is None:
            continue
        returned = main_fn()
        if isinstance(returned, list | tuple):
            for line in returned:
                if isinstance(line, dict):
                    emit(**line)
                else:
                    print(line, flush=True)

def run_privacy_bench() -> None:
    """bench/privacy.py: closed cases anonymised per second by the retention run (its own
    databases; it prints its own JSON lines)."""
    from bench import privacy

    RESULTS.extend(privacy.main())


def run_knowledge_bench() -> None:
    """bench/knowledge.py: article index build and search, ticket text search (own JSON lines)."""
    from bench import knowledge

    knowledge.main()


if __name__ == "__main__":
    main()
