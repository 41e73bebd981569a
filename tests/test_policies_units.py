"""The rule modules import and run without a server: environment detection and unknown handling."""

from __future__ import annotations

import pytest
from pulumi_policy import proxy

from policies.rules import environment
from policies.rules.base import Context
from policies.rules.network import check_access_list
from policies.rules.values import UNKNOWN, covers_everything, parse_network, plain

URN = "urn:pulumi:{}::atlas-platform::mongodbatlas:index/project:Project::p"


def test_policy_config_overrides_name_and_tag_both_ways():
    assert not environment.resolve(
        urn=URN.format("prod"), stack_tags={"environment": "prod"}, config={"environment": "staging"}
    ).is_prod
    assert environment.resolve(urn=URN.format("sandbox"), config={"environment": "Production"}).is_prod


def test_stack_tag_can_promote_but_not_demote():
    assert environment.resolve(urn=URN.format("payments-main"), stack_tags={"environment": "prod"}).is_prod
    assert environment.resolve(urn=URN.format("prod"), stack_tags={"environment": "dev"}).is_prod


def test_stack_name_falls_back_to_the_engine_variable(monkeypatch):
    monkeypatch.setenv("PULUMI_STACK", "acme/atlas-platform/prod-eu")
    assert environment.resolve().is_prod
    monkeypatch.setenv("PULUMI_STACK", "staging")
    assert not environment.resolve().is_prod


@pytest.mark.parametrize(
    ("name", "prod"),
    [
        ("prod", True),
        ("PROD", True),
        ("production-us", True),
        ("eu-prod", True),
        ("preprod", False),
        ("products", False),
        ("staging", False),
    ],
)
def test_stack_name_patterns(name, prod):
    assert environment.is_prod_stack_name(name) is prod


def test_unknowns_inside_the_sdk_proxy_become_explicit():
    proxied = proxy.unknown_checking_proxy(
        {"roles": [{"roleName": proxy.UNKNOWN_STRING_VALUE}, {"roleName": "read"}], "scopes": proxy.UNKNOWN_ARRAY_VALUE}
    )
    assert plain(proxied) == {"roles": [{"roleName": UNKNOWN}, {"roleName": "read"}], "scopes": UNKNOWN}


def test_ipv4_mapped_ipv6_is_judged_as_ipv4_and_halves_cover_everything():
    assert parse_network("::ffff:0.0.0.0/96").prefixlen == 0
    assert covers_everything([parse_network("0.0.0.0/1"), parse_network("128.0.0.0/1")])
    assert not covers_everything([parse_network("0.0.0.0/1"), parse_network("10.0.0.0/8")])


def test_checks_run_on_plain_dicts_without_a_server():
    assert check_access_list({"cidrBlock": "10.1.0.0/16"}, Context()) == []
    assert "whole internet" in check_access_list({"cidrBlock": "0.0.0.0/0"}, Context())[0]
