"""``lab …``: register lab VMs reached over SSH, or make disposable netns labs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..context import out

lab_app = typer.Typer(
    help="Lab hosts: lessons run there over SSH with --lab NAME. Register a Vagrant VM "
    "(`vagrant ssh-config lab-01 > lab-01.ssh && docker hostnet lab add lab-01 --ssh-config "
    "lab-01.ssh`) or make a lab on this Linux machine: a VM with its own kernel "
    "(`lab up --vm NAME`, qemu) or a disposable network namespace (`lab up --netns NAME`).",
    no_args_is_help=True,
)


@lab_app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="The lab's name, used with --lab.")],
    ssh_config: Annotated[
        Path | None,
        typer.Option("--ssh-config", help="An OpenSSH config, e.g. `vagrant ssh-config` output."),
    ] = None,
    host: Annotated[str | None, typer.Option(help="The Host entry in it (default: NAME).")] = None,
    url: Annotated[str | None, typer.Option(help="Instead: ssh://user@host:port.")] = None,
) -> None:
    """Register a lab reached over SSH."""
    from rich.markup import escape

    from hostnet.engine.errors import EnvironmentProblem
    from hostnet.engine.labs import registry
    from hostnet.engine.labs.spec import LabSpec

    if ssh_config is not None and not ssh_config.exists():
        raise typer.BadParameter(f"{ssh_config} does not exist", param_hint="--ssh-config")
    if (url is None) == (ssh_config is None):
        raise EnvironmentProblem(
            "a lab needs either an ssh:// URL (--url) or an ssh_config file (--ssh-config)"
        )
    config = ssh_config.resolve() if ssh_config else None
    path = registry.add(LabSpec.checked(name=name, url=url, ssh_config=config, host=host))
    out.print(
        f"Lab {escape(name)} registered in {path}; try `docker hostnet doctor --lab {escape(name)}`."
    )


@lab_app.command("list")
def list_labs() -> None:
    """List the registered labs."""
    from rich.markup import escape

    from hostnet.engine.labs import registry

    labs = registry.load()
    if not labs:
        out.print("No labs registered. `docker hostnet lab add --help` shows how.")
    for spec in labs.values():
        out.print(f"{escape(spec.name):<16} {escape(spec.describe())}")


@lab_app.command("remove")
def remove(name: Annotated[str, typer.Argument(help="The lab's name.")]) -> None:
    """Forget a registered lab (the VM itself is not touched)."""
    from rich.markup import escape

    from hostnet.engine.labs import registry

    found = registry.remove(name)
    out.print(
        f"Lab {escape(name)} removed." if found else f"No lab named {escape(name)}; nothing to do."
    )


@lab_app.command("up")
def up(
    name: Annotated[
        str,
        typer.Argument(help="Lab name: a-z, 0-9 and -, at most 15 characters (--vm: 31)."),
    ],
    netns_: Annotated[
        bool,
        typer.Option("--netns", help="A network namespace with its own dockerd and sshd (root)."),
    ] = False,
    vm_: Annotated[
        bool,
        typer.Option(
            "--vm",
            help="A VM with its own kernel, booted with qemu (root): KVM where it works, else "
            "emulation (slow). The image is built once (minutes) by scripts/vm-lab.sh. "
            "Booted again if it was stopped; its disk is kept until `lab down`.",
        ),
    ] = False,
    image: Annotated[
        str | None,
        typer.Option(help="--netns: copy this image from the local engine into the lab."),
    ] = None,
) -> None:
    """Make a lab host on this Linux machine (a VM or a netns lab), and register it."""
    from rich.markup import escape

    from hostnet.engine.labs import netns, registry, vm

    if netns_ == vm_:
        raise typer.BadParameter("choose one: --vm or --netns", param_hint="--vm / --netns")
    if vm_:
        if image is not None:
            raise typer.BadParameter(
                "a VM has its lesson image built in: LAB_IMAGE=IMAGE scripts/vm-lab.sh build",
                param_hint="--image",
            )
        machine = vm.up(name, progress=lambda line: out.print(f"  {escape(line)}"))
        registry.add(machine.spec())
        out.print(
            f"Lab {escape(name)} is up: a VM ({machine.accel}) on 127.0.0.1:{machine.port} "
            f"(ssh -F {machine.ssh_config} {escape(name)})."
        )
    else:
        lab = netns.up(name, image=image)
        registry.add(lab.spec())
        out.print(
            f"Lab {escape(lab.name)} is up at {lab.address} "
            f"(ssh -F {lab.ssh_config} {escape(lab.name)})."
        )
    out.print(f"Run a lesson there: docker hostnet lesson 1 --lab {escape(name)}")


@lab_app.command("down")
def down(name: Annotated[str, typer.Argument(help="The lab made with `lab up`.")]) -> None:
    """Remove a lab made with `lab up` completely: a VM (qemu, its disk, its port) or a
    netns lab (processes, namespace, interfaces, files)."""
    from rich.markup import escape

    from hostnet.engine.labs import netns, registry, vm

    removed = vm.down(name) if vm.find(name) is not None else netns.down(name)
    registry.remove(name)
    out.print(
        f"Lab {escape(name)} removed." if removed else f"No lab {escape(name)}; nothing to do."
    )


def register(app: typer.Typer) -> None:
    app.add_typer(lab_app, name="lab")
