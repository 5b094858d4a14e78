"""Every setting of the project in one place: paths, limits and the environment variables that
override them. Nothing else reads `os.environ` for a setting.

Each value is read when it is asked for (not at import), so a test or a command that sets an
environment variable before calling sees its own value. Relative defaults are anchored at the
checkout (`REPO_ROOT`); a path from the environment is expanded and made absolute.

| variable | default | meaning |
|---|---|---|
| WAREHOUSE_DUCKDB_PATH | data/warehouse.duckdb | the one writable warehouse |
| LANDING_DIR | data/landing | deliveries |
| PUBLISHED_DUCKDB_PATH | data/published/warehouse.duckdb | planners' read-only copy |
| REPORTS_OUTPUT_DIR | reports/output | rendered reports |
| EXCHANGE_OUTBOX_DIR | data/exchange/outbox | exchange packages written by Dagster |
| EXCHANGE_SIGNING_KEY_DIR | ~/.migration-warehouse/signing_keys | private signing keys of the cities this machine exports (outside the repo) |
| EXCHANGE_KEYRING_DIR | `keyring/` beside each city configuration folder | the alliance keyring: public keys, one `<city>.pub.json` per city (os.pathsep-separated) |
| DEMO_KEYS_DIR | data/demo_keys | the demo's own key pairs and keyring (git-ignored) |
| DEMO_TRUTH_DIR | data/demo_truth | truth tables of the demo world (never read by the pipeline) |
| OFFICIAL_SOURCE_DIR | ../shared/data/official | real official files copied by `seed-landing` |
| CITY_CONFIG_DIR | (none) | extra folder(s) of city YAML files (os.pathsep-separated) |
| CITY_CONFIG_BUILTIN | 1 | 0: leave out the built-in cities (ingest/cities), only CITY_CONFIG_DIR counts |
| DBT_TARGET_PATH | dbt_project/target | dbt's artefacts (manifest, compiled SQL) |
| DUCKDB_MEMORY_LIMIT | 2GB | DuckDB memory limit of every connection and of dbt |
| DUCKDB_THREADS | CPUs of this process | DuckDB threads of every connection and of dbt |
| DUCKDB_TEMP_DIRECTORY | `<database>.tmp` | DuckDB's spill folder |
| WAREHOUSE_ENGINE | duckdb | dbt's engine: duckdb (embedded) or spark (a Spark session, docs/engines.md) |
| SPARK_WAREHOUSE_DIR | `<database stem>_spark` beside the warehouse | Spark's warehouse folder: tables, metastore, raw Parquet |
| SPARK_MASTER | local[2] | the Spark master of the session (local: this machine) |
| SPARK_DRIVER_MEMORY | 2g | memory of the Spark driver JVM |
| REPORT_DELAY_WORKING_DAYS | 5 | working days after a quarter's first working day until its report |
| GENESIS_TOKEN | (none) | token for GENESIS downloads |
"""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
BUILTIN_CITY_DIR = REPO_ROOT / "ingest" / "cities"


def _path_from_env(var: str, default: Path) -> Path:
    value = os.environ.get(var)
    return Path(value).expanduser().resolve() if value else default


def warehouse_path() -> Path:
    """The writable warehouse (WAREHOUSE_DUCKDB_PATH, default data/warehouse.duckdb)."""
    return _path_from_env("WAREHOUSE_DUCKDB_PATH", REPO_ROOT / "data" / "warehouse.duckdb")


def landing_dir() -> Path:
    """Where deliveries arrive (LANDING_DIR, default data/landing)."""
    return _path_from_env("LANDING_DIR", REPO_ROOT / "data" / "landing")


def published_path() -> Path:
    """The planners' read-only copy (PUBLISHED_DUCKDB_PATH, default data/published/warehouse.duckdb)."""
    return _path_from_env("PUBLISHED_DUCKDB_PATH", REPO_ROOT / "data" / "published" / "warehouse.duckdb")


def reports_output_dir() -> Path:
    """Rendered reports (REPORTS_OUTPUT_DIR, default reports/output)."""
    return _path_from_env("REPORTS_OUTPUT_DIR", REPO_ROOT / "reports" / "output")


def exchange_outbox_dir() -> Path:
    """Where exchange packages for the alliance hub are written (EXCHANGE_OUTBOX_DIR, default data/exchange/outbox)."""
    return _path_from_env("EXCHANGE_OUTBOX_DIR", REPO_ROOT / "data" / "exchange" / "outbox")


def exchange_signing_key_dir() -> Path:
    """Private Ed25519 keys of the cities this machine exports, `<city>.ed25519.pem`
    (EXCHANGE_SIGNING_KEY_DIR, default ~/.migration-warehouse/signing_keys: outside the checkout,
    so a key never lands in the repository)."""
    return _path_from_env("EXCHANGE_SIGNING_KEY_DIR", Path.home() / ".migration-warehouse" / "signing_keys")


def exchange_keyring_dirs() -> list[Path]:
    """The alliance keyring: folders of public keys, one `<city>.pub.json` per city
    (EXCHANGE_KEYRING_DIR, os.pathsep-separated; default the folder `keyring/` beside every city
    configuration folder, see city_config_dirs). Later folders override earlier ones."""
    value = os.environ.get("EXCHANGE_KEYRING_DIR")
    if value:
        return [Path(p).expanduser().resolve() for p in value.split(os.pathsep) if p]
    return [d / "keyring" for d in city_config_dirs()]


def demo_keys_dir() -> Path:
    """The demo's key pairs (`private/`) and keyring (`keyring/`) (DEMO_KEYS_DIR, default
    data/demo_keys, git-ignored): the demo signs its packages with keys of its own, never with a
    real city's."""
    return _path_from_env("DEMO_KEYS_DIR", REPO_ROOT / "data" / "demo_keys")


def demo_truth_dir() -> Path:
    """Truth tables of the demo world (DEMO_TRUTH_DIR, default data/demo_truth); only the
    generator and the validation touch them, never the pipeline."""
    return _path_from_env("DEMO_TRUTH_DIR", REPO_ROOT / "data" / "demo_truth")


def official_source_dir() -> Path:
    """The real published official files (OFFICIAL_SOURCE_DIR, default <repo>/../shared/data/official)."""
    return _path_from_env("OFFICIAL_SOURCE_DIR", REPO_ROOT.parent / "shared" / "data" / "official")


def dbt_target_path() -> Path:
    """dbt's target folder (DBT_TARGET_PATH, default dbt_project/target): the manifest Dagster reads."""
    return _path_from_env("DBT_TARGET_PATH", DBT_PROJECT_DIR / "target")


def city_config_dirs() -> list[Path]:
    """Built-in city files (ingest/cities) plus CITY_CONFIG_DIR (os.pathsep-separated) if set;
    later folders override earlier ones. CITY_CONFIG_BUILTIN=0 leaves the built-in files out (a
    test that counts cities builds its own folder and never reads the checkout's set)."""
    builtin = os.environ.get("CITY_CONFIG_BUILTIN", "1").strip().lower() not in ("0", "false", "no")
    dirs = [BUILTIN_CITY_DIR] if builtin else []
    extra = os.environ.get("CITY_CONFIG_DIR")
    if extra:
        dirs += [Path(p).expanduser().resolve() for p in extra.split(os.pathsep) if p]
    return dirs


def duckdb_memory_limit() -> str:
    """DuckDB's memory limit for every connection and for dbt (DUCKDB_MEMORY_LIMIT, default 2GB).
    DuckDB's own default is 80 % of the machine; a nightly job beside planners and other jobs
    should not hold its buffer pool that large (pages are evicted or spilled to disk)."""
    return os.environ.get("DUCKDB_MEMORY_LIMIT", "2GB")


def duckdb_threads() -> int:
    """DuckDB's worker threads (DUCKDB_THREADS, default: the CPUs this process may run on, which
    is DuckDB's own default). Lower it to leave cores to other jobs on a shared machine."""
    value = os.environ.get("DUCKDB_THREADS")
    if value:
        threads = int(value)
        if threads < 1:
            raise ValueError(f"DUCKDB_THREADS must be at least 1, got {value!r}")
        return threads
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def duckdb_temp_directory(database: str | Path | None = None) -> Path | None:
    """DuckDB's spill folder (DUCKDB_TEMP_DIRECTORY). Default: `<database>.tmp` beside a database
    file, which is where DuckDB itself would spill, and None (DuckDB's default) in memory."""
    value = os.environ.get("DUCKDB_TEMP_DIRECTORY")
    if value:
        return Path(value).expanduser().resolve()
    if database is None or str(database) == ":memory:":
        return None
    return Path(f"{Path(database).resolve()}.tmp")


ENGINES = ("duckdb", "spark")


def warehouse_engine() -> str:
    """The engine dbt runs on (WAREHOUSE_ENGINE: duckdb, the default, or spark)."""
    value = os.environ.get("WAREHOUSE_ENGINE", "").strip().lower() or "duckdb"
    if value not in ENGINES:
        raise ValueError(f"WAREHOUSE_ENGINE must be one of {', '.join(ENGINES)}, got {value!r}")
    return value


def spark_warehouse_dir(database: str | Path | None = None) -> Path:
    """Spark's warehouse folder (SPARK_WAREHOUSE_DIR). Default: `<stem>_spark` beside the DuckDB
    warehouse (data/warehouse_spark), so every DuckDB warehouse has its own Spark side."""
    value = os.environ.get("SPARK_WAREHOUSE_DIR")
    if value:
        return Path(value).expanduser().resolve()
    path = Path(database).resolve() if database else warehouse_path()
    return path.parent / f"{path.stem}_spark"


def spark_master() -> str:
    """The Spark master (SPARK_MASTER, default local[2]: two cores of this machine)."""
    return os.environ.get("SPARK_MASTER", "local[2]")


def spark_driver_memory() -> str:
    """Memory of the Spark driver JVM (SPARK_DRIVER_MEMORY, default 2g, like DuckDB's limit)."""
    return os.environ.get("SPARK_DRIVER_MEMORY", "2g")


def report_delay_working_days() -> int:
    """Working days a quarterly report waits after the quarter's first working day, for late
    deliveries and checks (REPORT_DELAY_WORKING_DAYS, default 5)."""
    return int(os.environ.get("REPORT_DELAY_WORKING_DAYS", "5"))


def genesis_token() -> str | None:
    """Token for downloads from GENESIS (GENESIS_TOKEN)."""
    return os.environ.get("GENESIS_TOKEN") or None
