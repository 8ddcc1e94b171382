"""What the Docker CLI asks of a plugin, answered with the standard library only.

The CLI runs ``docker-hostnet docker-cli-plugin-metadata`` before every
``docker hostnet …`` and for every ``docker --help`` (docker/cli
``cli-plugins/manager``), and ``docker-hostnet hostnet docker-cli-plugin-hooks
JSON`` after commands a user opted in for (CLI hooks, docker 26.1+). The
installed sh front (``install.py``) answers the metadata query itself.
"""

from __future__ import annotations

import json

PLUGIN_NAME = "hostnet"
METADATA_COMMAND = "docker-cli-plugin-metadata"
HOOK_COMMAND = "docker-cli-plugin-hooks"
# Where the docker CLI finds plugins for every user (docker/cli cli-plugins/manager).
SYSTEM_PLUGIN_DIR = "/usr/local/lib/docker/cli-plugins"


def metadata() -> dict[str, str]:
    from hostnet.engine import __version__  # a docstring and a string: cheap

    return {
        "SchemaVersion": "0.1.0",
        "Vendor": "docker-hostnet",
        "Version": __version__,
        "ShortDescription": "Learn Docker host networking, hands-on",
    }


def hook_response(request_json: str) -> dict[str, object] | None:
    """The "What's next" hint after ``docker run --network … -p …`` (CLI hooks).

    The CLI says which flags were used (by long name), not their values, so
    the hint cannot tell host from another network and says "if".
    None: nothing to say (the CLI then prints nothing).
    """
    try:
        flags = json.loads(request_json).get("Flags") or {}
    except (ValueError, AttributeError):
        return None
    if not ({"network", "net"} & set(flags) and {"publish", "p"} & set(flags)):
        return None
    template = (
        "With --network host, published ports are discarded (the daemon's WARNING above): "
        "the container uses the host's ports directly. See `docker hostnet lesson 2`."
    )
    return {"Type": 0, "Template": template}
