"""Settings: each read by its declared type from every layer, secrets never shown, every one documented.

The layers are defaults → ``kakehashi.toml`` (or ``$KAKEHASHI_CONFIG``) →
``KAKEHASHI_<NAME>`` → flags; each test builds its own environment and file,
so the machine's own settings never enter.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import kakehashi.settings as settings_module
from kakehashi.errors import ConfigError
from kakehashi.settings import REDACTED, SETTINGS, Setting, Settings, docs_table

DOCS = Path(__file__).resolve().parents[1] / "docs" / "settings.md"
SECRET = "sk-0123456789abcdef"


def load(tmp_path: Path | None = None, toml: str | None = None, **env: str) -> Settings:
    config: Path | None = None
    if toml is not None:
        assert tmp_path is not None
        config = tmp_path / "kakehashi.toml"
        config.write_text(toml, encoding="utf-8")
    return Settings.load(config_file=config, env=env)


@pytest.fixture
def with_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    """SETTINGS plus a boolean, a secret number and a secret choice (none is declared today)."""
    extra = (
        Setting("fast", bool, False, "A boolean."),
        Setting("pin", int, 0, "A secret number.", minimum=0, secret=True),
        Setting("vault", str, "a", "A secret choice.", choices=("a", "b"), secret=True),
    )
    declared = (*SETTINGS, *extra)
    monkeypatch.setattr(settings_module, "SETTINGS", declared)
    monkeypatch.setattr(settings_module, "_BY_NAME", {s.name: s for s in declared})


# -- types ---------------------------------------------------------------------


@pytest.mark.parametrize("word", ["true", "TRUE", "True", "1", "yes", "Yes", "on", "ON", " on "])
def test_a_boolean_reads_true_words_as_true(word: str, with_extra: None, tmp_path: Path) -> None:
    assert load(KAKEHASHI_FAST=word).fast is True
    assert load(tmp_path, f'fast = "{word}"').fast is True
    assert load().replace(fast=word).fast is True


@pytest.mark.parametrize("word", ["false", "FALSE", "False", "0", "no", "NO", "off", "Off"])
def test_a_boolean_reads_false_words_as_false(word: str, with_extra: None, tmp_path: Path) -> None:
    # bool("false") is True: the bug this guards against.
    on = load(tmp_path, "fast = true")
    assert on.fast is True
    assert load(tmp_path, "fast = true", KAKEHASHI_FAST=word).fast is False
    assert load(tmp_path, f'fast = "{word}"').fast is False
    assert on.replace(fast=word).fast is False


def test_a_boolean_takes_toml_booleans_and_python_ones(with_extra: None, tmp_path: Path) -> None:
    assert load(tmp_path, "fast = true").fast is True
    assert load(tmp_path, "fast = false").fast is False
    assert load().replace(fast=True).fast is True


@pytest.mark.parametrize("bad", ["maybe", "", "2", "t", "yes please"])
def test_a_boolean_refuses_other_words_naming_setting_value_and_origin(
    bad: str, with_extra: None, tmp_path: Path
) -> None:
    with pytest.raises(ConfigError) as env_err:
        load(KAKEHASHI_FAST=bad)
    assert f"fast={bad!r}" in str(env_err.value) and "$KAKEHASHI_FAST" in str(env_err.value)
    with pytest.raises(ConfigError) as flag_err:
        load().replace(fast=bad)
    assert f"fast={bad!r}" in str(flag_err.value) and "the command line" in str(flag_err.value)
    with pytest.raises(ConfigError) as file_err:
        load(tmp_path, "fast = 1")  # a TOML number is not a boolean
    assert "fast=1" in str(file_err.value) and str(tmp_path / "kakehashi.toml") in str(file_err.value)


def test_numbers_read_from_text_and_toml(tmp_path: Path) -> None:
    s = load(KAKEHASHI_DUCKDB_THREADS="4", KAKEHASHI_WEB_TIMEOUT="2.5")
    assert (s.duckdb_threads, s.web_timeout) == (4, 2.5)
    t = load(tmp_path, "duckdb_threads = 8\nweb_timeout = 10\n")
    assert t.duckdb_threads == 8
    assert t.web_timeout == 10.0 and isinstance(t.web_timeout, float)


@pytest.mark.parametrize(
    ("toml", "needle"),
    [
        ("duckdb_threads = true", "duckdb_threads=True from"),  # True is an int to Python only
        ("duckdb_threads = 2.5", "is not a whole number"),
        ('duckdb_threads = "four"', "is not a whole number"),
        ("duckdb_threads = -1", "must be 0 or more"),
        ("ingest_batch_mb = -256", "must be 0 or more"),
        ("api_max_retries = -1", "must be 0 or more"),
        ("mobility_min_works_per_year = 0", "must be 1 or more"),
        ("web_max_rows = 0", "must be 1 or more"),
        ("web_timeout = 0", "must be more than 0"),
        ("web_timeout_spark = -5.0", "must be more than 0"),
        ("web_timeout = nan", "is not a finite number"),
        ("web_timeout = false", "is not a number"),
        ("engine = 3", "is not a string"),
        ('engine = "oracle"', "must be one of duckdb, spark"),
        ('lang = "fr"', "must be one of ja, en"),
        ("like_minded = [1, 2]", "is not a comma-separated list"),
        ('like_minded = "US,,GB"', "has an empty item"),
    ],
)
def test_a_value_of_the_wrong_type_or_out_of_bounds_is_refused(
    tmp_path: Path, toml: str, needle: str
) -> None:
    with pytest.raises(ConfigError) as err:
        load(tmp_path, toml)
    msg = str(err.value)
    assert needle in msg and toml.split(" =")[0] in msg and str(tmp_path / "kakehashi.toml") in msg
    assert err.value.exit_code == 2


def test_bounds_hold_for_the_environment_and_flags_too() -> None:
    with pytest.raises(ConfigError, match=r"web_cache_entries='-1' from \$KAKEHASHI_WEB_CACHE_ENTRIES"):
        load(KAKEHASHI_WEB_CACHE_ENTRIES="-1")
    with pytest.raises(ConfigError, match="mobility_visit_max_years=-1 from the command line must be 0"):
        load().replace(mobility_visit_max_years=-1)
    assert load(KAKEHASHI_WEB_CACHE_ENTRIES="0").web_cache_entries == 0


def test_a_list_reads_comma_separated_text_or_a_toml_array(tmp_path: Path) -> None:
    assert load(KAKEHASHI_LIKE_MINDED="US, GB ,DE").like_minded == ("US", "GB", "DE")
    assert load(tmp_path, 'like_minded = ["US", "GB"]').like_minded == ("US", "GB")
    assert load(KAKEHASHI_LIKE_MINDED="").like_minded == ()
    assert load(KAKEHASHI_LIKE_MINDED="KR").as_dict()["like_minded"] == ["KR"]  # JSON-ready


def test_every_setting_declares_a_type_and_a_default_of_that_type() -> None:
    for s in SETTINGS:
        assert s.type in (str, int, float, bool, list), s.name
        assert s.parse(s.default, "test") == s.default, s.name
        assert s.parse(s.text(s.default), "test") == s.default, s.name  # as written in docs and env
    with pytest.raises(TypeError, match="default"):
        Setting("x", int, "3", "A number declared as text.")
    with pytest.raises(TypeError, match="type"):
        Setting("x", dict, {}, "No such setting type.")


# -- layering ------------------------------------------------------------------


def test_defaults_then_file_then_environment_then_flags(tmp_path: Path) -> None:
    toml = 'engine = "spark"\nduckdb_threads = 2\nlang = "en"\n'
    assert load().engine == "duckdb"
    assert load(tmp_path, toml).engine == "spark"
    s = load(tmp_path, toml, KAKEHASHI_DUCKDB_THREADS="3", KAKEHASHI_LANG="ja")
    assert (s.engine, s.duckdb_threads, s.lang) == ("spark", 3, "ja")
    f = Settings.load(config_file=tmp_path / "kakehashi.toml", env={"KAKEHASHI_LANG": "ja"}, lang="en")
    assert f.lang == "en" and f.replace(lang=None).lang == "en"


def test_the_file_is_kakehashi_toml_or_kakehashi_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "kakehashi.toml").write_text("duckdb_threads = 5\n", encoding="utf-8")
    (tmp_path / "other.toml").write_text("duckdb_threads = 7\n", encoding="utf-8")
    assert Settings.load(env={}).duckdb_threads == 5
    assert Settings.load(env={"KAKEHASHI_CONFIG": str(tmp_path / "other.toml")}).duckdb_threads == 7


def test_unknown_settings_and_bad_files_are_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown setting 'colour'"):
        load(tmp_path, 'colour = "red"')
    with pytest.raises(ConfigError, match="not valid TOML"):
        load(tmp_path, "engine = ")
    with pytest.raises(ConfigError, match="unknown setting 'colour'"):
        load().replace(colour="red")
    with pytest.raises(ConfigError, match="cannot read settings file"):
        Settings.load(config_file=tmp_path / "missing.toml", env={})


# -- secrets -------------------------------------------------------------------


def test_only_the_api_key_is_secret() -> None:
    assert [s.name for s in SETTINGS if s.secret] == ["openalex_api_key"]


def test_a_secret_is_redacted_in_as_dict_repr_and_str() -> None:
    s = load(KAKEHASHI_OPENALEX_API_KEY=SECRET)
    assert s.openalex_api_key == SECRET  # the client needs it
    assert s.as_dict()["openalex_api_key"] == REDACTED
    assert SECRET not in repr(s) and SECRET not in str(s) and SECRET not in f"{s}"
    assert f"openalex_api_key={REDACTED!r}" in repr(s)
    assert "engine='duckdb'" in repr(s)  # the rest is shown
    assert load().as_dict()["openalex_api_key"] == ""  # an empty key is shown as empty


def test_a_bad_secret_is_refused_without_showing_it(with_extra: None, tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as file_err:
        load(tmp_path, "openalex_api_key = 987654321")
    with pytest.raises(ConfigError) as env_err:
        load(KAKEHASHI_PIN="-987654321")
    with pytest.raises(ConfigError) as flag_err:
        load().replace(vault="987654321")
    for err in (file_err, env_err, flag_err):
        msg = str(err.value)
        assert "987654321" not in msg and REDACTED in msg, msg
        assert "987654321" not in repr(err.value) and "987654321" not in str(err.value.args)
    assert "openalex_api_key=*** from" in str(file_err.value)
    assert "pin=*** from $KAKEHASHI_PIN must be 0 or more" in str(env_err.value)
    assert "vault=*** from the command line must be one of a, b" in str(flag_err.value)
    assert file_err.value.__cause__ is None and file_err.value.__context__ is None


def test_the_command_line_does_not_print_a_bad_secret(tmp_path: Path) -> None:
    config = tmp_path / "kakehashi.toml"
    config.write_text("openalex_api_key = 987654321\n", encoding="utf-8")
    env = {**os.environ, "KAKEHASHI_CONFIG": str(config)}
    r = subprocess.run(
        [sys.executable, "-m", "kakehashi", "ingest", "api", "--store", str(tmp_path / "s"), "--filter", "x"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert r.returncode == 2, r.stderr
    assert "openalex_api_key=*** from" in r.stderr
    assert "987654321" not in r.stderr + r.stdout and "Traceback" not in r.stderr


# -- documentation -------------------------------------------------------------


def _docs_rows() -> dict[str, dict[str, str]]:
    text = DOCS.read_text(encoding="utf-8")
    lines = [ln for ln in text.splitlines() if ln.startswith("| `")]
    rows: dict[str, dict[str, str]] = {}
    for ln in lines:
        cells = [c.strip() for c in ln.strip().strip("|").split(" | ")]
        assert len(cells) == 5, ln
        name, kind, default, env, meaning = cells
        rows[name.strip("`")] = {"kind": kind, "default": default, "env": env.strip("`"), "meaning": meaning}
    return rows


def _doc_default(cell: str) -> str:
    return "" if cell == "(empty)" else re.fullmatch(r"`(.*)`", cell).group(1)  # type: ignore[union-attr]


def test_docs_list_every_setting_with_its_type_default_and_variable() -> None:
    rows = _docs_rows()
    assert list(rows) == [s.name for s in SETTINGS], "docs/settings.md: regenerate with docs_table()"
    for s in SETTINGS:
        row = rows[s.name]
        assert row["kind"] == s.kind, s.name
        assert s.parse(_doc_default(row["default"]), "docs/settings.md") == s.default, s.name
        assert row["env"] == s.env, s.name
        assert row["meaning"] == s.help, s.name
    assert docs_table() in DOCS.read_text(encoding="utf-8")


def test_readme_links_the_settings_page() -> None:
    readme = (DOCS.parents[1] / "README.md").read_text(encoding="utf-8")
    assert "docs/settings.md" in readme
