"""``install`` / ``uninstall`` (the Docker CLI plugin) and ``hints`` (CLI hooks)."""

from __future__ import annotations

from typing import Annotated

import typer

from ..context import out
from ..protocol import SYSTEM_PLUGIN_DIR


def register(app: typer.Typer) -> None:
    @app.command("install")
    def install(
        system: Annotated[
            bool, typer.Option("--system", help=f"For every user: {SYSTEM_PLUGIN_DIR}.")
        ] = False,
        force: Annotated[
            bool, typer.Option("--force", help="Replace a file that is not ours.")
        ] = False,
    ) -> None:
        """Install `docker hostnet` into the Docker CLI plugin directory."""
        from .. import install as installer

        path = installer.install(system=system, force=force)
        out.print(f"Installed {path}")
        out.print(installer.verify_listed())

    @app.command("uninstall")
    def uninstall(
        system: Annotated[
            bool, typer.Option("--system", help="Remove the system-wide plugin.")
        ] = False,
    ) -> None:
        """Remove `docker hostnet` from the Docker CLI plugin directory."""
        from .. import install as installer

        path = installer.uninstall(system=system)
        out.print(f"Removed {path}" if path else "docker-hostnet was not installed there")

    hints = typer.Typer(
        help="After `docker run --network host -p …`, have the docker CLI explain that "
        "published ports are discarded (CLI hooks, docker 26.1+).",
        no_args_is_help=True,
    )

    @hints.command("enable")
    def enable() -> None:
        """Register the hook in the docker CLI's config.json."""
        from .. import install as installer

        out.print(installer.set_hooks(enabled=True))

    @hints.command("disable")
    def disable() -> None:
        """Remove the hook from the docker CLI's config.json."""
        from .. import install as installer

        out.print(installer.set_hooks(enabled=False))

    app.add_typer(hints, name="hints")
