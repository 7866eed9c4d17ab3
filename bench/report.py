"""Turn the JSON lines of `make bench` into the Markdown tables of docs/performance.md.

    python -m bench.report /tmp/samdesk-bench/results.jsonl
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

LATENCIES = [
    ("list_first", "queue, first page"),
    ("list_deep", "queue, page 90 % down"),
    ("list_walk", "queue, following next_cursor"),
    ("list_open", "queue, open cases only"),
    ("list_second_line", "second line, pooled queue"),
    ("search_all", "search q= (4 words)"),
    ("detail", "one case (detail)"),
]


def main() -> None:
    path = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/samdesk-bench/results.jsonl")
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.startswith("{")]
    dbs = [d for d in ("postgresql", "sqlite") if any(r.get("db") == d for r in rows)]
    sizes = sorted({r["tickets"] for r in rows if r.get("metric") == "seed"})

    def find(db: str, size: int, metric: str, **match: Any) -> dict[str, Any] | None:
        for r in rows:
            if r.get("db") == db and r.get("tickets") == size and r.get("metric") == metric and all(
                r.get(k) == v for k, v in match.items()
            ):
                return r
        return None

    head = ["what (p50 / p95 ms)"] + [f"{db} {size:,}" for db in dbs for size in sizes]
    print("| " + " | ".join(head) + " |")
    print("|" + " --- |" * len(head))
    for metric, title in LATENCIES:
        cells = []
        for db in dbs:
            for size in sizes:
                r = find(db, size, metric)
                cells.append(f"{r['p50_ms']:.1f} / **{r['p95_ms']:.1f}**" if r else "–")
        print(f"| {title} | " + " | ".join(cells) + " |")
    cells = []
    for db in dbs:
        for size in sizes:
            r = find(db, size, "create")
            cells.append(f"**{r['tickets_per_s']:.0f}/s** ({r['errors']} errors)" if r else "–")
    print("| tickets created through the API | " + " | ".join(cells) + " |")
    print()
    terms = [r["q"] for r in rows if r.get("metric") == "search" and r.get("db") == dbs[0]
             and r.get("tickets") == sizes[0]]
    print("| search word (p50 / p95 ms) | " + " | ".join(head[1:]) + " |")
    print("|" + " --- |" * len(head))
    for term in terms:
        cells = []
        for db in dbs:
            for size in sizes:
                r = find(db, size, "search", q=term)
                cells.append(f"{r['p50_ms']:.1f} / {r['p95_ms']:.1f}" if r else "–")
        print(f"| `{term}` | " + " | ".join(cells) + " |")
    print()
    print("| SQL statements per request | " + " | ".join(head[1:]) + " |")
    print("|" + " --- |" * len(head))
    for endpoint in ("list", "list_search", "detail", "create"):
        cells = []
        for db in dbs:
            for size in sizes:
                r = find(db, size, "queries", endpoint=endpoint)
                cells.append(str(r["queries"]) if r else "–")
        print(f"| {endpoint} | " + " | ".join(cells) + " |")
    print()
    for r in rows:
        if r.get("metric") in ("targets", "total", "seed"):
            print(f"    {json.dumps(r, ensure_ascii=False)}")


if __name__ == "__main__":
    main()
