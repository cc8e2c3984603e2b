"""Settings, declared once and layered file → environment → flags (STYLE.md 5).

Each :class:`Setting` is declared here with its default and help text; the CLI,
the docs and a test all read this one list. A :class:`Settings` value is frozen
and passed explicitly — there is no module-level mutable configuration.

>>> s = Settings.load(env={"KAKEHASHI_ENGINE": "spark"}, config_file=None)
>>> s.engine
'spark'
>>> s.replace(engine="duckdb").engine
'duckdb'
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kakehashi.errors import ConfigError

__all__ = ["SETTINGS", "Setting", "Settings"]


@dataclasses.dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str
    choices: tuple[str, ...] | None = None


SETTINGS: tuple[Setting, ...] = (
    Setting("engine", "duckdb", "Query engine: duckdb (embedded) or spark.", ("duckdb", "spark")),
    Setting("spark_master", "local[*]", "Spark master URL when engine is spark."),
    Setting("spark_driver_memory", "4g", "Spark driver memory when engine is spark."),
    Setting("duckdb_memory_limit", "", "DuckDB memory_limit (e.g. 4GB); empty means DuckDB's default."),
    Setting("duckdb_threads", 0, "DuckDB threads; 0 means one per core."),
    Setting(
        "ingest_batch_mb",
        256,
        "DuckDB ingest: MB of OpenAlex files (as stored) parsed and normalised at a time, "
        "but one file per thread at least; with duckdb_threads it bounds the ingest's memory. "
        "0: all at once.",
    ),
    Setting("openalex_mailto", "", "E-mail sent to the OpenAlex API (its 'polite pool')."),
    Setting("openalex_api_key", "", "OpenAlex API key, if you have one."),
    Setting("openalex_base_url", "https://api.openalex.org", "OpenAlex API base URL."),
    Setting("api_max_retries", 6, "Retries on HTTP 429 and 5xx before the API ingest gives up."),
    Setting(
        "country_scheme",
        "separate",
        "separate: Hong Kong and Macao stay apart; china: mapped to CN (Leiden's choice).",
        ("separate", "china"),
    ),
    Setting(
        "like_minded",
        "US,GB,DE,FR,IT,CA,AU,NZ,KR,NL,SE,CH,FI,DK,NO,BE,AT,IE,ES,PT,SG,TW,IN,IL,PL,CZ,EE",
        "Comma-separated ISO codes of the 'like-minded' group (志を同じくする国・地域, S-2, P-3).",
    ),
    Setting("lang", "ja", "Language of the UI and reports: ja or en.", ("ja", "en")),
    Setting(
        "mobility_visit_max_years",
        2,
        "Mobility: a move X→Y is a visit when the next move Y→X comes at most this many years later.",
    ),
    Setting(
        "mobility_min_works_per_year",
        1,
        "Mobility: works with a known-country affiliation an author needs in a year for it to be active.",
    ),
    Setting(
        "mobility_tie_lookback",
        1,
        "Mobility: previous active years whose affiliations break a main-country tie (0: alphabetical).",
    ),
    Setting(
        "web_max_rows", 50_000, "Most rows one API response or download carries; longer results are cut."
    ),
    Setting("web_timeout", 30.0, "Seconds a web query may run before it is cut with a 503 error."),
    Setting(
        "web_timeout_spark",
        300.0,
        "web_timeout when the engine is spark (every query starts Spark jobs; a cluster may queue them).",
    ),
    Setting(
        "web_cache_entries", 512, "Results the web server keeps per store version (least recently used go)."
    ),
)

_BY_NAME = {s.name: s for s in SETTINGS}


def _coerce(setting: Setting, value: Any, origin: str) -> Any:
    want = type(setting.default)
    try:
        out = want(value) if not isinstance(value, want) else value
    except (TypeError, ValueError) as exc:
        raise ConfigError(
            f"setting {setting.name}={value!r} from {origin} is not a {want.__name__}; fix it there."
        ) from exc
    if setting.choices and out not in setting.choices:
        raise ConfigError(
            f"setting {setting.name}={value!r} from {origin} must be one of {', '.join(setting.choices)}."
        )
    return out


@dataclasses.dataclass(frozen=True)
class Settings:
    """The effective settings; build with :meth:`load`, derive with :meth:`replace`."""

    values: tuple[tuple[str, Any], ...]

    def __getattr__(self, name: str) -> Any:
        for k, v in self.values:
            if k == name:
                return v
        raise AttributeError(name)

    def as_dict(self) -> dict[str, Any]:
        # Secrets never go into manifests or provenance.
        return {k: ("***" if k == "openalex_api_key" and v else v) for k, v in self.values}

    def replace(self, **changes: Any) -> Settings:
        d = dict(self.values)
        for k, v in changes.items():
            if v is None:
                continue
            if k not in _BY_NAME:
                raise ConfigError(f"unknown setting {k!r}; known: {', '.join(_BY_NAME)}.")
            d[k] = _coerce(_BY_NAME[k], v, "the command line")
        return Settings(tuple(d.items()))

    @classmethod
    def load(
        cls,
        *,
        config_file: Path | str | None = "default",
        env: Mapping[str, str] | None = None,
        **flags: Any,
    ) -> Settings:
        """Defaults, then ``kakehashi.toml`` (or ``$KAKEHASHI_CONFIG``), then
        ``KAKEHASHI_<NAME>`` environment variables, then flags."""
        env = os.environ if env is None else env
        d = {s.name: s.default for s in SETTINGS}
        if config_file == "default":
            config_file = (
                Path(env["KAKEHASHI_CONFIG"]) if "KAKEHASHI_CONFIG" in env else Path("kakehashi.toml")
            )
            if not config_file.exists():
                config_file = None
        if config_file is not None:
            path = Path(config_file)
            try:
                data = tomllib.loads(path.read_text(encoding="utf-8"))
            except OSError as exc:
                raise ConfigError(f"cannot read settings file {path}: {exc.strerror}.") from exc
            except tomllib.TOMLDecodeError as exc:
                raise ConfigError(f"settings file {path} is not valid TOML ({exc}); fix that line.") from exc
            for k, v in data.items():
                if k not in _BY_NAME:
                    raise ConfigError(f"settings file {path} names unknown setting {k!r}; remove it.")
                d[k] = _coerce(_BY_NAME[k], v, str(path))
        for s in SETTINGS:
            key = "KAKEHASHI_" + s.name.upper()
            if key in env:
                d[s.name] = _coerce(s, env[key], f"${key}")
        return cls(tuple(d.items())).replace(**flags)
