"""Settings: defaults < TOML file < DORAMETER_DATABASE_URL < flags, and errors that name the key."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from dorameter.config import EnvironmentTiers, Settings, load_settings
from dorameter.errors import InvalidInput
from dorameter.model import FailureSettings, Tier

FULL_FILE = """
[store]
url = "postgresql://dora@db.internal/metrics"

[metrics]
bands = "2021"
failure_window = "12h"
hotfix_pattern = "^fix\\\\(prod\\\\)"
backfill_horizon = "2w"

[environments]
production = ["prd-*", "live"]
staging = ["stg"]
"""


@pytest.fixture(autouse=True)
def empty_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run in an empty folder, so a dorameter.toml of the checkout is never picked up."""
    folder = tmp_path / "cwd"
    folder.mkdir()
    monkeypatch.chdir(folder)
    return folder


def write(tmp_path: Path, text: str, name: str = "settings.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def data_home(tmp_path: Path) -> dict[str, str]:
    return {"XDG_DATA_HOME": str(tmp_path / "data")}


def test_defaults_without_a_file(tmp_path: Path) -> None:
    settings = load_settings(environ=data_home(tmp_path))

    assert settings == Settings(
        database_url=f"sqlite:///{tmp_path / 'data' / 'dorameter' / 'dorameter.db'}",
        bands="2023",
        failure=FailureSettings(window=timedelta(hours=24), hotfix_pattern=r"(?i)hotfix"),
        backfill_horizon=timedelta(days=30),
        tiers=EnvironmentTiers(),
    )


def test_every_setting_from_the_file(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, FULL_FILE), environ=data_home(tmp_path))

    assert settings.database_url == "postgresql://dora@db.internal/metrics"
    assert settings.bands == "2021"
    assert settings.failure == FailureSettings(
        window=timedelta(hours=12), hotfix_pattern=r"^fix\(prod\)"
    )
    assert settings.backfill_horizon == timedelta(days=14)
    assert settings.tiers == EnvironmentTiers(
        ((Tier.PRODUCTION, ("prd-*", "live")), (Tier.STAGING, ("stg",)))
    )
    # The file's table replaces the default mapping entirely.
    assert settings.tiers.tier("prd-eu") is Tier.PRODUCTION
    assert settings.tiers.tier("STG") is Tier.STAGING
    assert settings.tiers.tier("prod") is Tier.OTHER


def test_a_partial_file_keeps_the_other_defaults(tmp_path: Path) -> None:
    path = write(tmp_path, '[metrics]\nfailure_window = "2h"\n')

    settings = load_settings(path, environ=data_home(tmp_path))

    assert settings.failure == FailureSettings(window=timedelta(hours=2))
    assert settings.bands == "2023"
    assert settings.backfill_horizon == timedelta(days=30)
    assert settings.tiers == EnvironmentTiers()


def test_the_environment_overrides_the_file_and_flags_override_both(tmp_path: Path) -> None:
    path = write(tmp_path, FULL_FILE)
    env = data_home(tmp_path) | {"DORAMETER_DATABASE_URL": "sqlite:////srv/from-env.db"}

    from_file = load_settings(path, environ=data_home(tmp_path))
    from_env = load_settings(path, environ=env)
    from_flags = from_env.with_overrides(database_url="sqlite:////srv/from-flag.db", bands="2019")

    assert from_file.database_url == "postgresql://dora@db.internal/metrics"
    assert from_env.database_url == "sqlite:////srv/from-env.db"
    assert from_flags.database_url == "sqlite:////srv/from-flag.db"
    assert from_flags.bands == "2019"
    # Flags not given leave everything as it was.
    assert from_env.with_overrides(database_url=None, bands=None) == from_env


def test_the_environment_overrides_the_default_url(tmp_path: Path) -> None:
    env = data_home(tmp_path) | {"DORAMETER_DATABASE_URL": "postgresql://x@y/z"}

    assert load_settings(environ=env).database_url == "postgresql://x@y/z"


def test_the_file_comes_from_dorameter_config(tmp_path: Path) -> None:
    named = write(tmp_path, '[metrics]\nbands = "2019"\n', "named.toml")
    flagged = write(tmp_path, '[metrics]\nbands = "2024"\n', "flagged.toml")
    env = data_home(tmp_path) | {"DORAMETER_CONFIG": str(named)}

    assert load_settings(environ=env).bands == "2019"
    assert load_settings(flagged, environ=env).bands == "2024"  # --config wins


def test_the_file_in_the_current_folder_is_used_last(tmp_path: Path, empty_folder: Path) -> None:
    write(empty_folder, '[metrics]\nbands = "2021"\n', "dorameter.toml")
    named = write(tmp_path, '[metrics]\nbands = "2019"\n', "named.toml")

    assert load_settings(environ=data_home(tmp_path)).bands == "2021"
    env = data_home(tmp_path) | {"DORAMETER_CONFIG": str(named)}
    assert load_settings(environ=env).bands == "2019"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[metrics\nbands = 1", "is not valid TOML"),
        ('[environments]\nprod = ["prod"]', r"unknown tier \[environments\]\.prod"),
        ('[environments]\nproduction = "prod"', r"\[environments\]\.production must be a list"),
        ("[environments]\nproduction = [1]", r"\[environments\]\.production must be a list"),
        ('environments = ["prod"]', r"\[environments\] must be a table"),
        ('[metrics]\nfailure_window = "24 hours"', r"\[metrics\]\.failure_window: .* duration"),
        ('[metrics]\nfailure_window = "0h"', r"\[metrics\]\.failure_window: .* longer than zero"),
        ("[metrics]\nfailure_window = 24", r"\[metrics\]\.failure_window must be a string"),
        ('[metrics]\nbackfill_horizon = "30"', r"\[metrics\]\.backfill_horizon: .* duration"),
        (
            '[metrics]\nhotfix_pattern = "(?i)hotfix("',
            r"\[metrics\]\.hotfix_pattern: '\(\?i\)hotfix\(' is not a valid .*regular expression",
        ),
        ('[metrics]\nbands = "2020"', r"\[metrics\]\.bands: unknown bands '2020'"),
        ('[metrics]\nfailure_windw = "2h"', r"unknown setting \[metrics\]\.failure_windw"),
        ('[store]\nuri = "sqlite://"', r"unknown setting \[store\]\.uri"),
        ("[store]\nurl = 5", r"\[store\]\.url must be a string"),
        ('store = "sqlite://"', r"\[store\] must be a table"),
        ('[metric]\nbands = "2021"', "unknown setting 'metric'"),
    ],
)
def test_invalid_files_name_the_problem(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)

    with pytest.raises(InvalidInput, match=message):
        load_settings(path, environ=data_home(tmp_path))


def test_a_missing_file_is_invalid_input(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="does not exist"):
        load_settings(tmp_path / "nope.toml", environ=data_home(tmp_path))


def test_a_folder_given_as_the_file_is_invalid_input(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="cannot read configuration file"):
        load_settings(tmp_path, environ=data_home(tmp_path))


def test_unknown_bands_from_a_flag_are_invalid_input() -> None:
    with pytest.raises(InvalidInput, match="unknown bands '2020'; choose one of 2019, 2021"):
        Settings(database_url="sqlite://").with_overrides(bands="2020")


@pytest.mark.parametrize(
    ("environment", "tier"),
    [
        ("prod", Tier.PRODUCTION),
        ("production", Tier.PRODUCTION),
        ("prod-eu", Tier.PRODUCTION),
        ("prod_us", Tier.PRODUCTION),
        ("production-blue", Tier.PRODUCTION),
        ("live", Tier.PRODUCTION),
        ("prd", Tier.PRODUCTION),
        ("PROD", Tier.PRODUCTION),
        ("Production", Tier.PRODUCTION),
        ("staging", Tier.STAGING),
        ("staging-2", Tier.STAGING),
        ("stage", Tier.STAGING),
        ("uat", Tier.STAGING),
        ("preprod", Tier.STAGING),
        ("qa", Tier.TESTING),
        ("test", Tier.TESTING),
        ("dev", Tier.DEVELOPMENT),
        ("review/feature-x", Tier.DEVELOPMENT),
        ("preview-42", Tier.DEVELOPMENT),
        ("sandbox", Tier.OTHER),
        ("productionish", Tier.OTHER),
        ("", Tier.OTHER),
    ],
)
def test_default_environment_tiers(environment: str, tier: Tier) -> None:
    assert EnvironmentTiers().tier(environment) is tier


def test_named_keeps_the_environments_of_one_tier_in_order() -> None:
    names = ["staging", "prod-eu", "dev", "production", "sandbox", "live"]

    assert EnvironmentTiers().named(Tier.PRODUCTION, names) == ["prod-eu", "production", "live"]
    assert EnvironmentTiers().named(Tier.OTHER, names) == ["sandbox"]
