"""One customer, one key: a phone number written any way is one customer to the duplicate
check of `log`, to `warn`'s repeat complainants and to `list --search`; an e-mail address
is one whatever its case.  Migration 0006 re-keys the cases stored before the rule.
"""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from complaintctl import db

MOBILE = ["13812345678", "+86 138-1234-5678", "0086 138 1234 5678", "8613812345678",
          "(138) 1234-5678", "+86 (138) 1234 5678", "138.1234.5678"]  # fmt: skip
LANDLINE = ["010-1234 5678", "+86 10 1234 5678", "0086-10-12345678", "(010) 12345678",
            "+86 (0)10 1234 5678"]  # fmt: skip


def log(cli, contact: str, *extra: str):
    return cli(
        "log", "--channel", "phone", "--customer", "王伟", "--contact", contact,
        "--summary", "洗衣机漏水", *extra,
    )  # fmt: skip


def number_of(result) -> str:
    assert result.exit_code == 0, result.stderr
    return result.stdout.split()[1].rstrip(";")


@pytest.mark.parametrize(
    "forms", [MOBILE, LANDLINE, ["Chen.Jing@Example.com", "chen.jing@example.COM"]]
)
def test_every_way_of_writing_one_contact_is_a_likely_duplicate_of_the_first(cli, forms):
    first = number_of(log(cli, forms[0]))
    for form in forms[1:]:
        result = log(cli, form)
        assert result.exit_code == 0
        assert f"likely duplicate of {first}" in result.stderr, form


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("13812345678", "13812345679"),  # another mobile
        ("+1 202 555 0100", "202 555 0100"),  # a US number and a Chinese-looking one
        ("010-1234 5678", "1234 5678"),  # with and without the area code
        ("+86 400 123 4567", "0400 123 4567"),  # a service number has no trunk 0
    ],
)
def test_different_numbers_stay_different_customers(cli, one, other):
    number_of(log(cli, one))
    assert "likely duplicate" not in log(cli, other).stderr


@pytest.mark.parametrize("search", ["+86 138 1234 5678", "138-1234-5678", "1234 5678", "0086138"])
def test_list_search_finds_a_phone_however_it_is_typed(cli, search):
    case = number_of(log(cli, "+86 138-1234-5678"))
    other = number_of(log(cli, "13999990000"))
    out = cli.ok("list", "--search", search, "--format", "json")
    found = [r["number"] for r in json.loads(out)["cases"]]
    assert case in found and other not in found


def test_warn_names_the_same_customer_written_two_ways_as_a_repeat(cli):
    earlier = number_of(log(cli, "0086 139 0000 0001"))
    repeat = number_of(log(cli, "+86 139-0000-0001"))
    data = json.loads(cli.ok("warn", "--format", "json", "--exit-zero"))
    assert [(i["number"], i["earlier"]) for i in data["repeat_complainants"]] == [
        (repeat, [earlier])
    ]


def test_the_upgrade_re_keys_stored_cases_and_leaves_purged_ones_alone(cli, db_url):
    a = number_of(log(cli, "+86 138-1234-5678"))
    b = number_of(log(cli, "13812345678"))
    c = number_of(log(cli, "Li.Lei@Example.com", "--received-at", "2020-01-02 09:00"))
    cli.ok("ack", c, "--at", "2020-01-02 10:00")
    cli.ok("classify", c, "--reject", "test", "--at", "2020-01-03 09:00")
    cli.ok("purge", "--closed-before", "2021-01-01")
    engine = sa.create_engine(db_url, poolclass=sa.pool.NullPool)

    def keys() -> dict[str, str]:
        with engine.connect() as conn:
            return dict(conn.execute(sa.text("SELECT number, contact_key FROM cases")).all())

    purged_key = keys()[c]
    assert keys() == {a: "13812345678", b: "13812345678", c: purged_key}
    # Schema 0005 keyed a phone by its digits: two customers
    with engine.begin() as conn:
        command.downgrade(_config(conn), "0005")
    assert keys() == {a: "8613812345678", b: "13812345678", c: purged_key}

    assert cli.ok("db", "upgrade") == f"schema upgraded: 0005 -> {db.HEAD}\n"
    assert keys() == {a: "13812345678", b: "13812345678", c: purged_key}
    assert "no problems found" in cli.ok("db", "check")
    engine.dispose()


def _config(conn) -> Config:
    config = Config()
    config.set_main_option("script_location", "complaintctl:migrations")
    config.attributes["connection"] = conn
    return config
