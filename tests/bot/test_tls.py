"""The bot's Slack calls over TLS, as to Slack itself: the stand-in serves HTTPS with a
test authority's certificate, and the bot trusts it only through ``SSL_CERT_FILE``."""

from __future__ import annotations

import ssl
import urllib.error
from collections.abc import Iterator
from pathlib import Path

import pytest

from hostnet.bot.slack import web_client
from hostnet.bot.testing.fakeslack import FakeSlack
from hostnet.bot.testing.requests import ALICE, BOT_TOKEN, CHANNEL
from hostnet.bot.testing.tls import StandInAuthority


@pytest.fixture(scope="module")
def authority(tmp_path_factory: pytest.TempPathFactory) -> StandInAuthority:
    return StandInAuthority(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def fake_slack(authority: StandInAuthority, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSlack]:
    """The stand-in over TLS, trusted as the system's CAs are (this module's make_bot uses it)."""
    monkeypatch.setenv("SSL_CERT_FILE", str(authority.bundle))
    fake = FakeSlack(tls=authority.server_context())
    yield fake
    fake.close()


def test_a_lesson_over_tls(make_bot, echo_lessons, fake_slack) -> None:  # type: ignore[no-untyped-def]
    assert fake_slack.base.startswith("https://127.0.0.1:")
    echo_lessons()
    bot = make_bot(variables={"word": "hi"})

    assert bot.slash(ALICE, "start 1").status == 200
    assert "✓ *Step 1 passed*" in bot.run_step(ALICE).text()
    assert "second hi" in bot.run_step(ALICE).text()
    bot.slash(ALICE, "help")  # answered through the request's response_url (bolt's respond)

    methods = {c.method for c in fake_slack.calls}
    assert {"chat.postMessage", "chat.update", "response_url"} <= methods
    assert not [c for c in fake_slack.calls if ":" in c.method]  # no failed or retried call
    # the calls kept their connections open: a handshake per connection, not per call
    assert fake_slack.connections < len(fake_slack.calls) / 2


def test_a_certificate_the_system_does_not_trust_is_refused(
    fake_slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The context checks certificates: without the test authority, no call gets through."""
    monkeypatch.delenv("SSL_CERT_FILE")
    client = web_client(BOT_TOKEN, base_url=fake_slack.api_url)
    with pytest.raises(urllib.error.URLError) as refused:
        client.chat_postMessage(channel=CHANNEL, text="hello")
    assert isinstance(refused.value.reason, ssl.SSLCertVerificationError)
    assert fake_slack.of("chat.postMessage") == []


def test_the_bundle_is_the_systems_cas_and_the_authoritys(authority: StandInAuthority) -> None:
    """So a client pays what it pays to load the system's CAs (bench/slack_tls.py)."""
    system = ssl.get_default_verify_paths().cafile
    bundle = authority.bundle.read_bytes()
    assert bundle.endswith(authority.ca.read_bytes())
    if system is not None and Path(system).is_file():
        assert bundle.startswith(Path(system).read_bytes())
