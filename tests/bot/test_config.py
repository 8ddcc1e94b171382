"""Configuration: one clear line naming the setting, exit code 2, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from hostnet.bot.config import ConfigError, load_config, load_secrets
from hostnet.bot.main import main
from tests.support.env import REPO

GOOD = """\
database: state/bot.sqlite
labs:
  - {name: lab-01, ssh_config: labs/ssh_config}
  - {name: lab-02, url: "ssh://vagrant@192.168.56.12:22"}
  - {name: dev, local: true}
allowed_users: ["*"]
allowed_channels: [C0WORKSHOP]
instructors: [U0TEACHER]
variables: {image: hostnet/nginx-standin:latest}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "hostnet-bot.yaml"
    path.write_text(text)
    (tmp_path / "labs").mkdir(exist_ok=True)
    (tmp_path / "labs" / "ssh_config").write_text("Host lab-01\n  HostName 192.168.56.11\n")
    return path


def test_a_good_file(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, GOOD))
    assert config.database == tmp_path / "state" / "bot.sqlite"
    assert config.labs[0].ssh_config == tmp_path / "labs" / "ssh_config"
    assert config.user_allowed("U0ANYONE") and config.channel_allowed("C0WORKSHOP")
    assert not config.channel_allowed("C0OTHER")
    assert config.is_instructor("U0TEACHER") and config.mode == "socket"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("labs:", "lab:"), "labs: missing (required)"),
        (("database: state/bot.sqlite\n", ""), "database: missing (required)"),
        (
            ('allowed_users: ["*"]', "allowed_users: [alice]"),
            "allowed_users: 'alice' is not a Slack user ID",
        ),
        (
            ("[C0WORKSHOP]", '["#workshop"]'),
            "allowed_channels: '#workshop' is not a Slack channel ID",
        ),
        (("{name: dev, local: true}", "{name: dev}"), "labs[2]: give exactly one of url"),
        (("ssh://vagrant", "http://vagrant"), "labs[1]: url must look like ssh://"),
        (("labs/ssh_config}", "labs/ssh_config, local: true}"), "labs[0]: give exactly one of url"),
        (("name: dev", "name: lab-01"), "two labs are named 'lab-01'"),
        (("instructors:", "instructor:"), "instructor: unknown setting"),
        (("labs:\n", "labs: [\n"), "not valid YAML"),
        (("labs/ssh_config", "labs/nope"), "labs[0].ssh_config: "),
        (("{name: lab-01,", "{name: lab 01,"), "labs[0].name: invalid lab name 'lab 01'"),
        (
            ("name: lab-02, url", "name: lab-02, colour: red, url"),
            "labs[1].colour: unknown setting",
        ),
    ],
)
def test_mistakes_name_the_setting(tmp_path: Path, change: tuple[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_config(write(tmp_path, GOOD.replace(*change)))
    assert message in str(err.value)
    assert str(err.value).startswith(str(tmp_path / "hostnet-bot.yaml"))


def test_secrets_come_from_the_environment() -> None:
    with pytest.raises(ConfigError, match="SLACK_BOT_TOKEN is not set"):
        load_secrets("socket", {})
    with pytest.raises(ConfigError, match="SLACK_APP_TOKEN is not set"):
        load_secrets("socket", {"SLACK_BOT_TOKEN": "xoxb-1"})
    with pytest.raises(ConfigError, match="SLACK_APP_TOKEN does not start with 'xapp-'"):
        load_secrets("socket", {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xoxb-2"})
    with pytest.raises(ConfigError, match="SLACK_SIGNING_SECRET is not set"):
        load_secrets("http", {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1"})
    secrets = load_secrets("http", {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"})
    assert "xoxb" not in repr(secrets)


def test_main_prints_one_line_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--config", str(tmp_path / "missing.yaml")], env={}) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"hostnet-bot: configuration file {tmp_path / 'missing.yaml'} not found")
    assert "Traceback" not in err

    config = write(tmp_path, GOOD)
    assert main(["--config", str(config)], env={}) == 2
    assert "hostnet-bot: SLACK_BOT_TOKEN is not set" in capsys.readouterr().err
    assert main([], env={"HOSTNET_BOT_CONFIG": str(config), "SLACK_BOT_TOKEN": "xoxb-1"}) == 2
    assert "SLACK_APP_TOKEN is not set" in capsys.readouterr().err
    assert (
        main(["--http"], env={"HOSTNET_BOT_CONFIG": str(config), "SLACK_BOT_TOKEN": "xoxb-1"}) == 2
    )
    assert "SLACK_SIGNING_SECRET is not set" in capsys.readouterr().err


def test_a_variable_no_lesson_has_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write(tmp_path, GOOD.replace("{image:", "{imgae:"))
    env = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1"}
    assert main(["--config", str(config)], env=env) == 2
    err = capsys.readouterr().err
    assert "variables.imgae: no lesson has this variable" in err


def test_python_m_runs_without_a_traceback(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    res = subprocess.run(
        [sys.executable, "-m", "hostnet.bot", "--config", str(write(tmp_path, "labs: 3\n"))],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert res.returncode == 2
    assert res.stderr.strip().startswith("hostnet-bot: ")
    assert "database: missing (required)" in res.stderr
    assert "Traceback" not in res.stderr


def test_the_example_configuration_and_the_manifest(tmp_path: Path) -> None:
    bot = REPO / "bot"
    example = (bot / "hostnet-bot.example.yaml").read_text()
    (tmp_path / "labs.ssh_config").write_text("Host lab-01\n")
    config = load_config(write(tmp_path, example))
    assert [lab.name for lab in config.labs] == ["lab-01", "lab-02", "lab-03"]
    assert config.message_interval_seconds == 1.0 and config.mode == "socket"

    manifest = yaml.safe_load((bot / "manifest.yaml").read_text())
    assert manifest["features"]["slash_commands"][0]["command"] == "/hostnet"
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == {
        "commands",
        "chat:write",
        "app_mentions:read",
        "files:write",  # the network map's picture
    }
    assert manifest["settings"]["event_subscriptions"]["bot_events"] == ["app_mention"]
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert manifest["settings"]["socket_mode_enabled"] is True


def test_the_console_script() -> None:
    res = subprocess.run(
        [str(Path(sys.executable).parent / "hostnet-bot"), "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert res.returncode == 0
    assert "--http" in res.stdout and "--config" in res.stdout
