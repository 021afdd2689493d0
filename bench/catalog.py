"""Catalog bench: the pages residents load, on the 10,000-product data set (50 shops, 20 categories),
the app under gunicorn (production profile, PostgreSQL + Redis), driven by `wrk` at concurrency 16,
each row beside its floor: a bare Flask app answering the same bytes, captured from the app's own
answer, served the same way (bench/floor.py).

Rows: the HTML home page, the product list `/produits`, a category page, a shop page, the HTML search
`/produits?q=fromage`, one product page over and over, product pages spread over the whole catalogue
with a popularity skew (Zipf draws over the 10,000 products), and the JSON API `/api/v1/products?page=1`;
each with the cache on (production's default: the cache shared in Redis by all web processes) and off
(CACHE_TYPE=NullCache: every page rendered anew).
The floor of a page is measured once, between the app's two runs of it.

Product pages spread over the catalogue are measured twice with the cache on: "first visits", right
after the single-page row (a cold cache: about a fifth of the measured requests render a page never
asked before), and the steady row "product pages (Zipf)", after every page of the draws has been asked
once, as a town's traffic leaves the cache (at a few hundred pages a second, every product is asked
within the pages' 10-minute lifetime, so a day's misses are the pages that changed). Each web process
also keeps its own copies for a few seconds (PRODUCT_PAGE_RECHECK_SECONDS), and those of 4 processes take
a while to settle: the steady row's warm-up runs BENCH_ZIPF_SETTLE seconds (45 by default) on another
stretch of the draws than the measured one. (Right after the priming, successive 13-second windows, each
from a random place in the draws, rose from about 2,000 to 2,650 requests/s and stayed there from the third
on.)
BENCH_CATALOG_ROWS (names or parts of names, comma-separated) runs some rows only.

`python -m bench.catalog [--quick]`; the database (BENCH_DATABASE_URL + "_catalog") is kept between runs
(the data set is loaded once). Rows go to the results file (see bench/harness.py).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench import harness
from bench.harness import create_database, serve

CONCURRENCY = int(os.environ.get("BENCH_CATALOG_CONCURRENCY", "16"))
ZIPF_DRAWS = 100_000
ZIPF = "product pages (Zipf)"
FIRST_VISITS = "product pages (Zipf, first visits)"


def settle_seconds() -> float:
    """The steady Zipf row's warm-up (see above); the usual short one in a quick run."""
    return harness.warmup_seconds() if harness.quick() else float(os.environ.get("BENCH_ZIPF_SETTLE", "45"))


def selected(name: str) -> bool:
    wanted = [part.strip() for part in os.environ.get("BENCH_CATALOG_ROWS", "").split(",") if part.strip()]
    return not wanted or any(part in name for part in wanted)


def prime(port: int, paths_file: Path, threads: int = 8) -> int:
    """Ask every distinct page of a paths file once (setup, not measured); returns how many."""
    from concurrent.futures import ThreadPoolExecutor

    distinct = list(dict.fromkeys(paths_file.read_text().splitlines()))
    with ThreadPoolExecutor(threads) as pool:
        statuses = list(pool.map(lambda path: harness.fetch(port, path, timeout=120)[0], distinct))
    if any(status != 200 for status in statuses):
        raise RuntimeError(f"priming answered {sorted(set(statuses))}")
    return len(distinct)


def prepare(instance: str, database: str) -> dict[str, Any]:
    """Create the database and load the data set (idempotent). Returns the ids and slugs the rows use."""
    from sqlalchemy import func, select

    from shopapp.app import create_app
    from shopapp.catalog import generator
    from shopapp.catalog.models import Category, Product, Shop
    from shopapp.catalog.search import install_search
    from shopapp.core.transaction import commit
    from shopapp.extensions import db
    from shopapp.venue.models import Venue

    create_database(database)
    app = create_app()
    with app.app_context():
        db.create_all()  # a bench database, built like the test one (production runs migrations)
        for table in db.metadata.sorted_tables:  # indexes added since the data set was loaded
            for index in table.indexes:
                index.create(db.engine, checkfirst=True)
        install_search(db.engine)
        if generator.load(generator.generate(seed=42)):
            print("data set loaded: 50 shops, 20 categories, 10,000 products", flush=True)
        if db.session.scalar(select(Venue.id).limit(1)) is None:  # a town has its venue (`flask setup`)
            db.session.add(Venue(name="La Halle Commune", town="Bourg-la-Halle", address="3 place de la Halle",
                                 latitude=48.85, longitude=2.35))
        commit()
        # As autovacuum leaves a settled table: statistics, and the visibility map index-only scans read.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
        ids = list(db.session.scalars(select(Product.id).where(Product.is_active.is_(True)).order_by(Product.id)))
        middle = db.session.get(Product, ids[len(ids) // 2])
        assert middle is not None
        busiest_category = db.session.execute(
            select(Category.slug).join(Product, Product.category_id == Category.id).group_by(Category.slug)
            .order_by(func.count().desc()).limit(1)).scalar_one()
        shop_slug = db.session.scalar(select(Shop.slug).where(Shop.id == middle.shop_id))
        return {"ids": ids, "product": middle.id, "category": busiest_category, "shop": shop_slug}


def pages(data: dict[str, Any], folder: Path) -> dict[str, Path]:
    """Each row's file of paths for bench/lua/get.lua."""
    single = {
        "home": "/",
        "product list": "/produits",
        "category page": f"/categories/{data['category']}",
        "shop page": f"/boutiques/{data['shop']}",
        "search q=fromage": "/produits?q=fromage",
        "product page (one)": f"/produits/{data['product']}",
        "api products page=1": "/api/v1/products?page=1",
    }
    files = {name: harness.write_lines(folder / f"{harness.slug(name)}.txt", [path]) for name, path in single.items()}
    draws = harness.zipf_draws([f"/produits/{i}" for i in data["ids"]], ZIPF_DRAWS)
    files[FIRST_VISITS] = files[ZIPF] = harness.write_lines(folder / "product-zipf.txt", draws)
    names = list(single)
    order = [*names[:6], FIRST_VISITS, ZIPF, *names[6:]]
    return {name: files[name] for name in order if selected(name)}


def capture(port: int, files: dict[str, Path], folder: Path, data: dict[str, Any]) -> Path:
    """The app's answer to each single page, written for the floor; returns the floor's manifest."""
    manifest: dict[str, Any] = {"pages": {}, "any_product": f"/produits/{data['product']}"}

    def keep(path: str, target: Path) -> None:
        status, headers, body = harness.fetch(port, path)
        if status != 200:
            raise RuntimeError(f"{path} answered {status}")
        target.write_bytes(body)
        manifest["pages"][path] = {"file": str(target), "content_type": headers.get("content-type", "text/html")}

    for name, file in files.items():
        if name not in (ZIPF, FIRST_VISITS):
            keep(file.read_text().splitlines()[0], folder / f"body-{harness.slug(name)}")
    if manifest["any_product"] not in manifest["pages"]:  # the Zipf rows alone (BENCH_CATALOG_ROWS)
        keep(manifest["any_product"], folder / "body-any-product")
    manifest_path = folder / "floor.json"
    manifest_path.write_text(json.dumps(manifest))
    return manifest_path


def main(argv: list[str] | None = None) -> int:
    if "--quick" in (argv or []):
        os.environ["BENCH_QUICK"] = "1"
    instance = Path(tempfile.mkdtemp(prefix="bench-catalog-"))
    database = harness.database_url("catalog")
    env = harness.app_environment(instance, database)
    harness.use_environment(env)
    data = prepare(str(instance), database)
    files = pages(data, instance / "paths")
    workers = harness.web_workers()
    log = open(instance / "servers.log", "ab")  # noqa: SIM115 - closed below
    app = floor = None
    rows: dict[str, dict[str, Any]] = {}
    floors: dict[str, harness.WrkResult] = {}
    common = {"concurrency": CONCURRENCY, "web_workers": workers, "seconds": harness.measure_seconds(),
              "warmup_s": harness.warmup_seconds()}
    try:
        for cache in ("on", "off"):
            app_env = env if cache == "on" else {**env, "CACHE_TYPE": "NullCache"}
            harness.empty_redis()  # nothing kept from an earlier run
            app, port = serve("shopapp.app:create_app()", app_env, workers=workers, log=log)
            harness.wait_ready(port, "/produits", workers=workers)
            if floor is None:
                manifest = capture(port, files, instance, data)
                floor, floor_port = serve("bench.floor:make_app()", {**env, "BENCH_FLOOR_PAGES": str(manifest)},
                                          workers=workers, log=log)
                harness.wait_ready(floor_port, f"/produits/{data['product']}", workers=workers)  # any row's page
            for name, file in files.items():
                if name == ZIPF and cache == "on":
                    print(f"priming: {prime(port, file)} product pages asked once", flush=True)
                elif name == FIRST_VISITS and cache == "off":
                    continue  # without a cache every visit is a first one: the Zipf row says it
                settle = name == ZIPF and cache == "on"  # each process's own copies too: see the docstring
                measured = harness.warm_then_measure(
                    f"http://127.0.0.1:{port}", "get.lua", [str(file)], connections=CONCURRENCY,
                    drain=(port, "/healthz"), warm_args=[str(file), "0.5"] if settle else None,
                    warm_seconds=settle_seconds() if settle else None)
                floor_of = ZIPF if name == FIRST_VISITS else name  # the same pages, the same floor
                if floor_of not in floors:
                    floors[floor_of] = harness.warm_then_measure(f"http://127.0.0.1:{floor_port}", "get.lua",
                                                                 [str(file)], connections=CONCURRENCY,
                                                                 drain=(floor_port, "/"))
                rows[f"{name} [cache {cache}]"] = harness.row(
                    measured, floor_rps=floors[floor_of].rps, floor_p99_ms=round(floors[floor_of].p99_ms, 1),
                    **common)
                print(harness.table({f"{name} [cache {cache}]": rows[f"{name} [cache {cache}]"]}, width=34)
                      .splitlines()[-1], flush=True)
            harness.stop(app)
            app = None
    finally:
        harness.stop(app)
        harness.stop(floor)
        log.close()
    harness.save_rows(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
