"""Settings, declared once and layered file → environment → flags (STYLE.md 5).

Each :class:`Setting` is declared here with its type, default and help text;
the CLI, the docs (``docs/settings.md``, checked by ``tests/test_settings.py``)
and a test all read this one list. A :class:`Settings` value is frozen and
passed explicitly — there is no module-level mutable configuration.

>>> s = Settings.load(env={"KAKEHASHI_ENGINE": "spark"}, config_file=None)
>>> s.engine
'spark'
>>> s.replace(engine="duckdb").engine
'duckdb'

Values are read by the setting's type, whatever layer they come from; a
secret is never shown:

>>> s = Settings.load(env={"KAKEHASHI_DUCKDB_THREADS": "4", "KAKEHASHI_OPENALEX_API_KEY": "k"},
...                   config_file=None)
>>> s.duckdb_threads, s.openalex_api_key, s.as_dict()["openalex_api_key"]
(4, 'k', '***')
>>> Settings.load(env={"KAKEHASHI_DUCKDB_THREADS": "-1"}, config_file=None)  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
kakehashi.errors.ConfigError: setting duckdb_threads='-1' from $KAKEHASHI_DUCKDB_THREADS must be 0 or more...
"""

from __future__ import annotations

import dataclasses
import math
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kakehashi.errors import ConfigError

__all__ = ["SETTINGS", "Setting", "Settings", "docs_table"]

#: what a boolean setting reads as true or false, in any case
TRUE_WORDS = ("true", "1", "yes", "on")
FALSE_WORDS = ("false", "0", "no", "off")
#: how a secret is shown wherever a value is shown
REDACTED = "***"


@dataclasses.dataclass(frozen=True)
class Setting:
    """One setting: its name, type, default and help; optionally its choices, lower bound, secrecy.

    ``type`` is ``str``, ``int``, ``float``, ``bool`` or ``list`` (comma-separated
    strings, held as a tuple). ``minimum`` bounds an int or float from below
    (``minimum_exclusive``: strictly). A ``secret`` is redacted wherever a value
    is shown: :meth:`Settings.as_dict` (a store's manifest), ``repr``, error messages.
    """

    name: str
    type: type
    default: Any
    help: str
    _: dataclasses.KW_ONLY
    choices: tuple[str, ...] | None = None
    minimum: float | None = None
    minimum_exclusive: bool = False
    secret: bool = False

    def __post_init__(self) -> None:
        if self.type not in (str, int, float, bool, list):
            raise TypeError(f"setting {self.name}: type {self.type!r} is not str, int, float, bool or list")
        if self.type is list and isinstance(self.default, str):  # a list declared as its text
            object.__setattr__(self, "default", self.parse(self.default, "its declaration"))
        if self.parse(self.default, "its declaration") != self.default:
            raise TypeError(f"setting {self.name}: default {self.default!r} is not a {self.kind}")

    @property
    def env(self) -> str:
        """The environment variable that sets it."""
        return "KAKEHASHI_" + self.name.upper()

    @property
    def kind(self) -> str:
        """The type in words, with its choices or bound (as ``docs/settings.md`` shows it)."""
        out = self.type.__name__
        if self.choices:
            out += ": " + " / ".join(self.choices)
        if self.minimum is not None:
            out += f" {'>' if self.minimum_exclusive else '≥'} {self.minimum:g}"
        return out + (", secret" if self.secret else "")

    def shown(self, value: Any) -> Any:
        """``value`` as it may be shown: a non-empty secret is :data:`REDACTED`."""
        return REDACTED if self.secret and value not in ("", None) else value

    def text(self, value: Any) -> str:
        """A (parsed) value written as it is in the environment: ``true``, ``4``, ``US,GB``."""
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, tuple):
            return ",".join(value)
        return str(value)

    def parse(self, value: Any, origin: str) -> Any:
        """``value`` (a string from the environment or a flag, or a TOML value) read as this setting.

        >>> flag = Setting("fast", bool, False, "Go fast.")
        >>> flag.parse("Yes", "$KAKEHASHI_FAST"), flag.parse("off", "a file"), flag.parse(True, "x")
        (True, False, True)
        """
        out, why = self._read(value)
        if why is None:
            why = self._refusal(out)
        if why is not None:
            # Raised outside any except block: no exception with the raw value hangs on as context.
            shown = REDACTED if self.secret else repr(value)
            raise ConfigError(f"setting {self.name}={shown} from {origin} {why}; fix it there.")
        return out

    def _refusal(self, out: Any) -> str | None:
        if self.choices and out not in self.choices:
            return f"must be one of {', '.join(self.choices)}"
        m = self.minimum
        if m is not None and self.minimum_exclusive and out <= m:
            return f"must be more than {m:g}"
        if m is not None and not self.minimum_exclusive and out < m:
            return f"must be {m:g} or more"
        return None

    def _read(self, value: Any) -> tuple[Any, str | None]:
        """``value`` in the setting's type, or why it is not."""
        want = self.type
        if want is bool:
            if isinstance(value, bool):
                return value, None
            word = value.strip().lower() if isinstance(value, str) else None
            if word in TRUE_WORDS or word in FALSE_WORDS:
                return word in TRUE_WORDS, None
            return None, f"is not true or false ({'/'.join(TRUE_WORDS)} or {'/'.join(FALSE_WORDS)})"
        if want is list:
            if isinstance(value, str):
                items = [v.strip() for v in value.split(",")] if value.strip() else []
            elif isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
                items = [v.strip() for v in value]
            else:
                return None, "is not a comma-separated list"
            if not all(items):
                return None, "has an empty item (two commas in a row, or one at an end)"
            return tuple(items), None
        if want is str:
            return (value, None) if isinstance(value, str) else (None, "is not a string (in TOML, quote it)")
        not_a = "is not a whole number" if want is int else "is not a number"
        # True is an int to Python, not to a setting; 2.5 is not a whole number however int() cuts it.
        if isinstance(value, bool) or (want is int and isinstance(value, float)):
            return None, not_a
        try:
            out = want(value)
        except (TypeError, ValueError):
            return None, not_a
        if want is float and not math.isfinite(out):
            return None, "is not a finite number"
        return out, None


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "engine", str, "duckdb", "Query engine: duckdb (embedded) or spark.", choices=("duckdb", "spark")
    ),
    Setting("spark_master", str, "local[*]", "Spark master URL when engine is spark."),
    Setting("spark_driver_memory", str, "4g", "Spark driver memory when engine is spark."),
    Setting("duckdb_memory_limit", str, "", "DuckDB memory_limit (e.g. 4GB); empty means DuckDB's default."),
    Setting("duckdb_threads", int, 0, "DuckDB threads; 0 means one per core.", minimum=0),
    Setting(
        "ingest_batch_mb",
        int,
        256,
        "DuckDB ingest: MB of OpenAlex files (as stored) parsed and normalised at a time, "
        "but one file per thread at least; with duckdb_threads it bounds the ingest's memory. "
        "0: all at once.",
        minimum=0,
    ),
    Setting("openalex_mailto", str, "", "E-mail sent to the OpenAlex API (its 'polite pool')."),
    Setting("openalex_api_key", str, "", "OpenAlex API key, if you have one.", secret=True),
    Setting("openalex_base_url", str, "https://api.openalex.org", "OpenAlex API base URL."),
    Setting(
        "api_max_retries", int, 6, "Retries on HTTP 429 and 5xx before the API ingest gives up.", minimum=0
    ),
    Setting(
        "country_scheme",
        str,
        "separate",
        "separate: Hong Kong and Macao stay apart; china: mapped to CN (Leiden's choice).",
        choices=("separate", "china"),
    ),
    Setting(
        "like_minded",
        list,
        "US,GB,DE,FR,IT,CA,AU,NZ,KR,NL,SE,CH,FI,DK,NO,BE,AT,IE,ES,PT,SG,TW,IN,IL,PL,CZ,EE",
        "Comma-separated ISO codes of the 'like-minded' group (志を同じくする国・地域, S-2, P-3).",
    ),
    Setting("lang", str, "ja", "Language of the UI and reports: ja or en.", choices=("ja", "en")),
    Setting(
        "mobility_visit_max_years",
        int,
        2,
        "Mobility: a move X→Y is a visit when the next move Y→X comes at most this many years later.",
        minimum=0,
    ),
    Setting(
        "mobility_min_works_per_year",
        int,
        1,
        "Mobility: works with a known-country affiliation an author needs in a year for it to be active.",
        minimum=1,
    ),
    Setting(
        "mobility_tie_lookback",
        int,
        1,
        "Mobility: previous active years whose affiliations break a main-country tie (0: alphabetical).",
        minimum=0,
    ),
    Setting(
        "web_max_rows",
        int,
        50_000,
        "Most rows one API response or download carries; longer results are cut.",
        minimum=1,
    ),
    Setting(
        "web_timeout",
        float,
        30.0,
        "Seconds a web query may run before it is cut with a 503 error.",
        minimum=0,
        minimum_exclusive=True,
    ),
    Setting(
        "web_timeout_spark",
        float,
        300.0,
        "web_timeout when the engine is spark (every query starts Spark jobs; a cluster may queue them).",
        minimum=0,
        minimum_exclusive=True,
    ),
    Setting(
        "web_cache_entries",
        int,
        512,
        "Results the web server keeps per store version (least recently used go).",
        minimum=0,
    ),
)

_BY_NAME = {s.name: s for s in SETTINGS}


def docs_table() -> str:
    """The table of every setting that ``docs/settings.md`` carries (a test keeps them equal)."""
    rows = ["| setting | type | default | environment | meaning |", "|---|---|---|---|---|"]
    for s in SETTINGS:
        default = s.text(s.default)
        rows.append(
            f"| `{s.name}` | {s.kind} | {f'`{default}`' if default else '(empty)'} | `{s.env}` | {s.help} |"
        )
    return "\n".join(rows) + "\n"


@dataclasses.dataclass(frozen=True, repr=False)
class Settings:
    """The effective settings; build with :meth:`load`, derive with :meth:`replace`.

    ``repr`` and :meth:`as_dict` show a secret as ``***``; attribute access gives the value.
    """

    values: tuple[tuple[str, Any], ...]

    def __getattr__(self, name: str) -> Any:
        for k, v in self.values:
            if k == name:
                return v
        raise AttributeError(name)

    def __repr__(self) -> str:
        return "Settings(" + ", ".join(f"{k}={v!r}" for k, v in self.as_dict().items()) + ")"

    def as_dict(self) -> dict[str, Any]:
        """Every setting, JSON-ready (a list as a list); secrets never go into manifests or provenance."""
        out = {}
        for k, v in self.values:
            shown = _BY_NAME[k].shown(v)
            out[k] = list(shown) if isinstance(shown, tuple) else shown
        return out

    def replace(self, **changes: Any) -> Settings:
        """These settings with ``changes`` (flags: strings or values; None leaves a setting as it is)."""
        d = dict(self.values)
        for k, v in changes.items():
            if v is None:
                continue
            if k not in _BY_NAME:
                raise ConfigError(f"unknown setting {k!r}; known: {', '.join(_BY_NAME)}.")
            d[k] = _BY_NAME[k].parse(v, "the command line")
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
                d[k] = _BY_NAME[k].parse(v, str(path))
        for s in SETTINGS:
            if s.env in env:
                d[s.name] = s.parse(env[s.env], f"${s.env}")
        return cls(tuple(d.items())).replace(**flags)
