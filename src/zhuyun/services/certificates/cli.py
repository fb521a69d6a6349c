"""`zhuyun certificates …`: put the certificate library into a city's catalog and exchange."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from zhuyun.core.db import Database
from zhuyun.core.settings import get_settings
from zhuyun.identity import service as identity
from zhuyun.identity.permissions import SYSTEM_PRINCIPAL
from zhuyun.services.certificates import service
from zhuyun.services.certificates.library import register_library

certificates_app = typer.Typer(help="电子证照: electronic certificates.", no_args_is_help=True)
console = Console()


@certificates_app.command("register-library")
def register_library_command(
    unit: Annotated[
        str, typer.Option(help="Code of the unit that runs the library (e.g. the big-data bureau)")
    ] = "dsj",
) -> None:
    """Publish the 电子证照库 resource for UNIT, bound to the platform database's view of
    valid certificates, so departments can apply for it and read it through the gateway."""
    settings = get_settings()
    database = Database(settings.database_url)
    try:
        with database.session() as session:
            if (existing := service.library_resource_id(session)) is not None:
                console.print(f"the certificate library is already resource {existing}")
                return
            provider = identity.find_unit_by_code(session, unit)
            if provider is None:
                console.print(f"[red]no unit with code {unit} (单位代码不存在)[/red]")
                raise typer.Exit(1)
            resource_id = register_library(
                session,
                SYSTEM_PRINCIPAL,
                settings.secret_key.get_secret_value(),
                provider.id,
                settings.database_url,
                source_hosts=settings.source_host_list,
            )
    finally:
        database.dispose()
    console.print(f"the certificate library is resource {resource_id}, provided by {unit}")
