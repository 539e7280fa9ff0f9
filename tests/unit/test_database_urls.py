"""Database URLs: a malformed one is a usage error that says what is wrong, never a crash."""

from __future__ import annotations

import pytest

from ledger.errors import ConfigurationError
from ledger.settings import parse_database_url, shown_url


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("postgresql://postgres@127.0.0.1:99999/test", "port must be 1-65535, not '99999'"),
        ("postgresql://postgres@127.0.0.1:abc/test", "port must be 1-65535, not 'abc'"),
        ("postgresql://postgres@127.0.0.1:0/test", "port must be 1-65535, not '0'"),
        ("postgresql://postgres@127.0.0.1:-1/test", "port must be 1-65535"),
        ("postgresql://postgres@[::1]:70000/test", "port must be 1-65535"),
        ("postgresql://postgres@[::1/test", "IPv6 host in brackets"),
        ("postgresql://postgres@[::1]x/test", "is not a port"),
        ("postgresql://postgres@/test", "is incomplete"),
        ("sqlite:///" + "a" * 5000, "5000 characters long, more than file systems allow (255)"),
        ("sqlite:///d/" + "b/" * 3000 + "x.db", "more than file systems allow (4096)"),
        ("sqlite:///ledger\x00.db", "NUL"),
        ("mysql://root@localhost/db", "is not supported"),
    ],
)
def test_a_malformed_url_is_refused_saying_why(url, says):
    with pytest.raises(ConfigurationError) as refused:
        parse_database_url(url)
    assert says in str(refused.value)
    assert len(str(refused.value)) < 400  # a 5000-character URL is not repeated whole


@pytest.mark.parametrize(
    ("url", "host", "port"),
    [
        ("postgresql://postgres@127.0.0.1:5433/test", "127.0.0.1", 5433),
        ("postgresql://postgres@127.0.0.1/test", "127.0.0.1", 5432),
        ("postgresql://postgres@127.0.0.1:/test", "127.0.0.1", 5432),
        ("postgresql://postgres@[::1]:6543/test", "::1", 6543),
        ("postgresql://postgres@[::1]/test", "::1", 5432),
        ("postgresql://u:p:q@h:65535/test", "h", 65535),
    ],
)
def test_well_formed_urls_keep_their_host_and_port(url, host, port):
    db = parse_database_url(url)
    assert (db.host, db.port) == (host, port)


def test_an_ipv6_host_is_written_back_in_brackets():
    db = parse_database_url("postgresql://postgres@[::1]:6543/test")
    assert db.describe() == "postgresql://postgres@[::1]:6543/test"
    assert db.sqlalchemy_url() == "postgresql+psycopg://postgres@[::1]:6543/test"


def test_messages_hide_the_password():
    with pytest.raises(ConfigurationError) as refused:
        parse_database_url("postgresql://ann:hunter2@db:99999/ledger")
    assert "hunter2" not in str(refused.value)
    assert "ann:***@db:99999" in str(refused.value)
    assert "hunter2" not in shown_url("postgresql://ann:hunter2@[::1/ledger")


@pytest.mark.parametrize(
    "url",
    [
        "sqlite:///a?b#c%41.db",
        "sqlite:////tmp/with space/ledger.db",
        "postgresql://ann:p%40ss%2Fw@127.0.0.1:5432/test",
        "postgresql://a%20b@[::1]:5433/my%20db",
    ],
)
def test_sqlalchemy_opens_the_same_file_database_and_login(url):
    from sqlalchemy.engine import make_url

    db = parse_database_url(url)
    opened = make_url(db.sqlalchemy_url())
    if db.is_sqlite:
        assert opened.database == db.path
    else:
        assert (opened.username, opened.password, opened.database, opened.port) == (
            db.user, db.password or None, db.dbname, db.port,
        )  # fmt: skip


def test_a_percent_escaped_database_name_is_decoded_as_libpq_does():
    assert parse_database_url("postgresql://postgres@127.0.0.1/te%73t").dbname == "test"
