"""The settings file's [github], [gitlab], [[repositories]] and [flow] tables, deployment
definitions, the deployment definitions of [[services]], and how a request and the settings
become the repositories to sync."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from dorameter.config import Settings, load_settings
from dorameter.errors import InvalidInput
from dorameter.model import BotRules, IncidentRules
from dorameter.sources.platform import (
    Assignment,
    DeploymentKind,
    DeploymentRule,
    RepositoryPlan,
    Resource,
    ServiceDeployments,
    parse_deployment_spec,
)
from dorameter.sync import SyncRequest, plan_repositories

NOW = datetime(2026, 11, 22, tzinfo=UTC)

FILE = """
[flow]
bots = ['\\[bot\\]$', '^renovate$']

[github]
api_url = "https://github.example.com/api/v3"
token_env = "GHE_TOKEN"
since = "90d"
deployments = ["workflow:Deploy*@production"]
incident_labels = ["incident", "outage"]

[[repositories]]
github = "acme/shop"
service = "{name}"
team = "payments"
deployments = "environments:prod*"

[[repositories]]
github = "acme/*-service"
service = "{name}"
team = "platform"
not_change_labels = ["infra"]

[[repositories]]
gitlab = "payments/ledger/api"
"""


def test_the_platform_tables_are_read(tmp_path: Path) -> None:
    settings = load_settings(_write(tmp_path, FILE), environ={"XDG_DATA_HOME": str(tmp_path)})

    github = settings.platforms["github"]
    assert (github.api_url, github.token_env, github.since) == (
        "https://github.example.com/api/v3",
        "GHE_TOKEN",
        timedelta(days=90),
    )
    assert github.deployments == (DeploymentRule(DeploymentKind.WORKFLOW, "Deploy*"),)
    assert github.incidents == IncidentRules(labels=("incident", "outage"))
    assert settings.platforms["gitlab"].api_url == "https://gitlab.com/api/v4"  # the default
    assert settings.bots == BotRules((r"\[bot\]$", "^renovate$"))
    assert settings.bots.is_bot("renovate") and not settings.bots.is_bot("renovate-fan")
    assert [(entry.platform, entry.pattern, entry.team) for entry in settings.repositories] == [
        ("github", "acme/shop", "payments"),
        ("github", "acme/*-service", "platform"),
        ("gitlab", "payments/ledger/api", None),
    ]


def test_plans_combine_the_request_the_matching_entry_and_the_platform_defaults(
    tmp_path: Path,
) -> None:
    settings = load_settings(_write(tmp_path, FILE), environ={"XDG_DATA_HOME": str(tmp_path)})
    listed = {"acme/*-service": ["acme/cart-service", "acme/search-service"]}

    targets = plan_repositories(
        settings, SyncRequest("github"), lambda pattern: listed[pattern], NOW
    )

    assert [(t.plan.repository, t.plan.service, t.team) for t in targets] == [
        ("acme/shop", "shop", "payments"),
        ("acme/cart-service", "cart-service", "platform"),
        ("acme/search-service", "search-service", "platform"),
    ]
    shop, cart, _ = (target.plan for target in targets)
    assert shop.deployments == (DeploymentRule(DeploymentKind.ENVIRONMENTS, "prod*"),)
    assert cart.deployments == (DeploymentRule(DeploymentKind.WORKFLOW, "Deploy*"),)
    assert cart.incidents == IncidentRules(labels=("incident",), not_change_labels=("infra",))
    assert shop.since == NOW - timedelta(days=90)
    assert shop.resources() == (
        Resource.COMMITS,
        Resource.PULL_REQUESTS,
        Resource.DEPLOYMENTS,
        Resource.PIPELINES,
        Resource.INCIDENTS,
    )

    request = SyncRequest(
        "github",
        repositories=("acme/shop", "acme/other"),
        since=NOW - timedelta(days=7),
        deployments=parse_deployment_spec("releases"),
        service="storefront",
        incident_labels=("sev",),
    )
    [named, other] = plan_repositories(settings, request, lambda pattern: [], NOW)
    assert (named.plan.service, other.plan.service) == ("storefront", "storefront")
    assert other.team is None and named.team == "payments"
    assert named.plan.deployments == parse_deployment_spec("releases")
    assert named.plan.incidents.labels == ("sev",)
    assert named.plan.since == NOW - timedelta(days=7)


def test_a_request_without_repositories_needs_configured_ones() -> None:
    with pytest.raises(InvalidInput, match="name a repository to read"):
        plan_repositories(Settings(database_url="x"), SyncRequest("gitlab"), lambda p: [], NOW)


@pytest.mark.parametrize(
    ("spec", "rules"),
    [
        ("environments", [DeploymentRule(DeploymentKind.ENVIRONMENTS)]),
        (
            "workflow:Deploy prod@live",
            [DeploymentRule(DeploymentKind.WORKFLOW, "Deploy prod", "live")],
        ),
        (
            "releases, tags:v*@staging",
            [
                DeploymentRule(DeploymentKind.RELEASES),
                DeploymentRule(DeploymentKind.TAGS, "v*", "staging"),
            ],
        ),
        ("branch:main", [DeploymentRule(DeploymentKind.BRANCH, "main")]),
    ],
)
def test_deployment_definitions(spec: str, rules: list[DeploymentRule]) -> None:
    assert list(parse_deployment_spec(spec)) == rules


def test_definitions_print_as_they_are_written() -> None:
    assert (
        str(DeploymentRule(DeploymentKind.WORKFLOW, "Deploy*", "live")) == "workflow:Deploy*@live"
    )
    assert str(DeploymentRule(DeploymentKind.ENVIRONMENTS, "prod*")) == "environments:prod*"
    assert str(DeploymentRule(DeploymentKind.RELEASES)) == "releases@production"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("deploys", "unknown deployment definition 'deploys'"),
        ("workflow", "'workflow' needs a pattern: workflow:NAME"),
        ("branch", "'branch' needs a pattern: branch:NAME"),
        ("environments@prod", "filter them with environments:GLOB"),
        (" , ", "the deployment definition is empty"),
    ],
)
def test_malformed_deployment_definitions(spec: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        parse_deployment_spec(spec)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[github]\ntoken = 'x'\n", r"unknown setting \[github\].token; it takes api_url"),
        ("[gitlab]\nsince = 'soon'\n", r"\[gitlab\].since: 'soon' is not a duration"),
        ("[[repositories]]\nservice = 'x'\n", "entry 1 needs exactly one of github"),
        ("[[repositories]]\ngithub = 'shop'\n", "must be a path like OWNER/NAME"),
        (
            "[[repositories]]\ngithub = 'a/b'\ncolour = 'red'\n",
            r"\[\[repositories\]\] entry 1.colour",
        ),
        (
            "[[repositories]]\ngithub = 'a/b'\ndeployments = ['nope']\n",
            "entry 1.deployments: unknown",
        ),
        (
            "[[repositories]]\ngithub = 'a/b'\nincident_labels = 'x'\n",
            "must be a list of label names",
        ),
        ("repositories = 'a/b'\n", r"\[\[repositories\]\] must be an array of tables"),
        ("[flow]\nbots = ['(']\n", r"\[flow\].bots: '\(' is not a valid Python regular expression"),
        ("[flow]\nreviewers = []\n", r"unknown setting \[flow\].reviewers"),
        (
            "[[services]]\nname = 'api'\nrepository = 'a/b'\ndeployments = ['releases']\n",
            r"\[\[services\]\] entry 1.deployments needs paths as well",
        ),
        (
            "[[services]]\nname = 'api'\npaths = ['api']\ndeployments = ['releases']\n",
            r"\[\[services\]\] entry 1.deployments needs repository as well",
        ),
        (
            "[[services]]\nname = 'api'\ndeployments = ['releases']\n",
            r"\[\[services\]\] entry 1.deployments needs repository and paths as well",
        ),
        (
            "[[services]]\nname = 'api'\nrepository = 'a/b'\npaths = ['api']\n"
            "deployments = ['workflow']\n",
            r"\[\[services\]\] entry 1.deployments: 'workflow' needs a pattern",
        ),
        (
            "[[services]]\nname = 'api'\nrepository = 'a/b'\npaths = ['api']\n"
            "deployments = ['deploys']\n",
            r"\[\[services\]\] entry 1.deployments: unknown deployment definition 'deploys'",
        ),
        (
            "[[services]]\nname = 'api'\nrepository = 'a/b'\npaths = ['api']\ndeployments = [1]\n",
            r"\[\[services\]\] entry 1.deployments must be a list of definitions",
        ),
    ],
)
def test_mistakes_in_the_file_name_the_key(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        load_settings(_write(tmp_path, text), environ={"XDG_DATA_HOME": str(tmp_path)})


MONOREPO = """
[[repositories]]
github = "acme/mono"
service = "mono"

[[services]]
name = "web"
repository = "acme/mono"
paths = ["services/web"]
deployments = ["workflow:Deploy web", "tags:web/v*"]

[[services]]
name = "api"
repository = "acme/mono"
paths = ["services/api"]
deployments = "environments:api-*"

[[services]]
name = "docs"
repository = "acme/mono"
paths = ["docs"]

[[services]]
name = "billing"
repository = "acme/shop"
paths = ["billing"]
deployments = ["releases"]
"""


def test_path_services_with_definitions_join_their_repositorys_plan(tmp_path: Path) -> None:
    settings = load_settings(_write(tmp_path, MONOREPO), environ={"XDG_DATA_HOME": str(tmp_path)})

    [target] = plan_repositories(settings, SyncRequest("github"), lambda pattern: [], NOW)

    # Every path service of the repository is declared (its paths decide what it ships); only
    # those with definitions take platform deployments.
    assert [service.name for service in target.path_services] == ["web", "api", "docs"]
    plan = target.plan
    assert plan.path_services == (
        ServiceDeployments("web", parse_deployment_spec("workflow:Deploy web, tags:web/v*")),
        ServiceDeployments("api", parse_deployment_spec("environments:api-*")),
    )
    # The source reads what any of them needs: the repository's environments, web's tags.
    assert plan.rules(DeploymentKind.TAGS) == [DeploymentRule(DeploymentKind.TAGS, "web/v*")]
    assert Resource.TAGS in plan.resources() and Resource.RELEASES not in plan.resources()


def _plan(*services: tuple[str, str]) -> RepositoryPlan:
    return RepositoryPlan(
        "acme/mono",
        "mono",
        parse_deployment_spec("environments, tags"),
        NOW,
        path_services=tuple(
            ServiceDeployments(name, parse_deployment_spec(spec)) for name, spec in services
        ),
    )


@pytest.mark.parametrize(
    ("kind", "name", "assigned"),
    [
        # A path service's own: its rule's environment, the platform's id.
        (DeploymentKind.WORKFLOW, "Deploy web", [Assignment("web", "live")]),
        (DeploymentKind.ENVIRONMENTS, "API-production", [Assignment("api", None)]),
        # No path service's: the repository's service when its definitions match, else none.
        (DeploymentKind.ENVIRONMENTS, "production", [Assignment("mono", None)]),
        (DeploymentKind.WORKFLOW, "Deploy docs", []),
        (DeploymentKind.TAGS, "v1.2.0", [Assignment("mono", "production")]),
        (DeploymentKind.TAGS, "v1.2.0-rc1", []),  # tags: version tags only by default
        # Several path services': each, by name; the first keeps the platform's id.
        (
            DeploymentKind.TAGS,
            "web/v2",
            [Assignment("api", "production"), Assignment("web", "production", "#web")],
        ),
        (DeploymentKind.TAGS, "Web/v2", [Assignment("api", "production")]),  # exact case
        (DeploymentKind.RELEASES, "api/v1", [Assignment("api", "production")]),
        (DeploymentKind.RELEASES, "web/v1", []),
        (DeploymentKind.BRANCH, "main", [Assignment("web", "production")]),
        (DeploymentKind.BRANCH, "mainline", []),
    ],
)
def test_a_platform_deployment_goes_to_the_services_whose_definitions_match(
    kind: DeploymentKind, name: str, assigned: list[Assignment]
) -> None:
    plan = _plan(
        ("web", "workflow:Deploy web@live, tags:web/*, branch:main"),
        ("api", "environments:api-*, tags:*/v*, releases:api/*"),
    )

    assert list(plan.assign(kind, name)) == assigned


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "settings.toml"
    path.write_text(text)
    return path
