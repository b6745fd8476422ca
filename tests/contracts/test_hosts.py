"""Where traffic may go: loopback, and hosts an allow-list names (parsed, never resolved)."""

from __future__ import annotations

import pytest

from harness.contracts.hosts import check_url, is_loopback
from harness.errors import BadInput


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000",
        "http://127.9.8.7",
        "https://localhost:9090/",
        "http://LOCALHOST.",
        "http://[::1]:8000",
    ],
)
def test_loopback_is_accepted(url: str) -> None:
    assert check_url(url, flag="--host") == url.rstrip("/")


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com",
        "http://169.254.169.254/latest/meta-data",  # a cloud metadata address
        "http://0.0.0.0:8000",
        "http://2130706433",  # 127.0.0.1 as one number: not parsed as loopback, so not trusted
        "http://0x7f.1",
        "http://localhost.example.com",
        "http://10.0.0.5:8000",
    ],
)
def test_anything_else_needs_the_allow_list(url: str) -> None:
    with pytest.raises(BadInput) as caught:
        check_url(url, flag="load.host")
    message = str(caught.value)
    assert message.startswith("load.host: ") and "allowed_hosts" in message
    assert "--allow-host" in message and "\n" not in message


def test_an_allow_listed_host_is_accepted_in_any_case() -> None:
    url = "https://Gateway.Staging.Example.com:8443"
    assert check_url(url, flag="--gateway", allowed=["gateway.staging.example.com"]) == url


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("ftp://127.0.0.1/x", "got ftp://"),
        ("file:///etc/passwd", "got file://"),
        ("127.0.0.1:8000", "not an http(s) URL"),
        ("http://", "has no host"),
        ("http://u:p@127.0.0.1", "credentials in the URL"),
        ("http://127.0.0.1:port", "is not a URL"),
    ],
)
def test_bad_urls_are_one_line(url: str, says: str) -> None:
    with pytest.raises(BadInput, match=r"^--prometheus: ") as caught:
        check_url(url, flag="--prometheus", allowed=["127.0.0.1"])
    assert says in str(caught.value)


def test_loopback_spellings() -> None:
    assert is_loopback("::1") and is_loopback("[::1]") and is_loopback("127.0.0.2")
    assert not is_loopback("::") and not is_loopback("127.0.0.1.nip.io")
