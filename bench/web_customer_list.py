"""Customer list page timings (the back office's /customers/) on an existing database.

    REGULARS_VAR_DIR=/tmp/bench100k .venv/bin/python bench/web_customer_list.py --org bench
    DATABASE_URL=postgres://…/bench .venv/bin/python bench/web_customer_list.py --org bench

Point it at a throwaway database filled by `regulars demo-data --org SLUG --customers N`.
It adds an owner login "bench-owner" to the organisation, then requests each list view
through Django's test client (full request: middleware, query, template) --repeat times
and reports the median and worst milliseconds. A reference query (counting the
organisation's customers) is timed in the same process, before and after, so that runs
on a busy machine compare by their ratio to it. Prints a table; writes
bench/results/web-customer-list-<engine>-<customers>.json.
"""

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "regulars.settings")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--org", required=True)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.test import Client
    from django.test.utils import setup_test_environment

    from regulars.customers.models import Customer, CustomerGroup
    from regulars.orgs.actions import add_staff_user
    from regulars.orgs.models import Organisation

    setup_test_environment()  # so responses carry their template context
    settings.ALLOWED_HOSTS = ["*"]
    organisation = Organisation.objects.get(slug=args.org)
    customers = Customer.objects.filter(organisation=organisation).count()
    user = _bench_owner(organisation, add_staff_user)
    client = Client()
    client.force_login(user)
    sample = (
        Customer.objects.filter(organisation=organisation)
        .exclude(last_name="")
        .exclude(email="")
        .exclude(mobile="")
        .order_by("id")
    )
    someone = sample[sample.count() // 2]
    group = CustomerGroup.objects.filter(organisation=organisation).first()
    deep_cursor = _cursor_after(client, {"sort": "name"}, pages=20)
    cases = {
        "first page (by name)": {},
        "first page (newest first)": {"sort": "-created"},
        "page 21 (keyset cursor)": {"sort": "name", "after": deep_cursor},
        "search last name": {"q": someone.last_name},
        "search first name": {"q": someone.first_name},
        "search full name": {"q": f"{someone.first_name} {someone.last_name}"},
        "search one letter": {"q": "ø"},
        "search e-mail": {"q": someone.email or "nobody@example.com"},
        "search mobile": {"q": someone.mobile[-8:] if someone.mobile else "20304050"},
        "search external id": {"q": someone.external_id or "x"},
        "search, no match": {"q": "zzzqqq"},
        "filter e-mail consent": {"consent": "email"},
        "filter member + group": {"member": "yes", "group": group.pk if group else ""},
    }
    reference_before = _reference_ms(organisation, args.repeat)
    rows = []
    for label, query in cases.items():
        timings = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            response = client.get("/customers/", query)
            timings.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, (label, response.status_code)
        page = response.context["page"]
        rows.append(
            {
                "case": label,
                "query": query,
                "median_ms": round(statistics.median(timings), 1),
                "max_ms": round(max(timings), 1),
                "shown": len(page.customers),
                "total": f">{page.count_limit}" if page.total_is_capped else page.total,
            }
        )
    reference = round(
        statistics.median([reference_before, _reference_ms(organisation, args.repeat)]), 1
    )
    for row in rows:
        row["ratio_to_reference"] = round(row["median_ms"] / reference, 2)
    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    print(f"customer list, {engine}, {customers:,} customers, {args.repeat} runs each")
    print(f"reference (count the organisation's customers): {reference} ms")
    print(f"{'case':32} {'median ms':>10} {'max ms':>8} {'ratio':>6} {'shown':>6} {'total':>8}")
    for row in rows:
        print(
            f"{row['case']:32} {row['median_ms']:>10} {row['max_ms']:>8} "
            f"{row['ratio_to_reference']:>6} {row['shown']:>6} {row['total']!s:>8}"
        )
    out = ROOT / "bench" / "results" / f"web-customer-list-{engine}-{customers}.json"
    out.parent.mkdir(exist_ok=True)
    result = {"engine": engine, "customers": customers, "reference_ms": reference, "rows": rows}
    out.write_text(json.dumps(result, indent=2))
    print(f"wrote {out.relative_to(ROOT)}")


def _bench_owner(organisation, add_staff_user):
    from django.contrib.auth import get_user_model

    existing = get_user_model().objects.filter(username="bench-owner").first()
    if existing is not None:
        return existing
    return add_staff_user(organisation=organisation, username="bench-owner", role="owner").user


def _reference_ms(organisation, repeat: int) -> float:
    """A fixed amount of database work: count the organisation's customers."""
    from regulars.customers.models import Customer

    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        Customer.objects.filter(organisation=organisation).count()
        timings.append((time.perf_counter() - start) * 1000)
    return statistics.median(timings)


def _cursor_after(client, query: dict, pages: int) -> str:
    cursor = ""
    for _ in range(pages):
        response = client.get("/customers/", {**query, **({"after": cursor} if cursor else {})})
        cursor = response.context["page"].next_cursor
    return cursor


if __name__ == "__main__":
    main()
