"""The staff back office ("Gestion des CMA"), built on sqladmin, behind the staff role."""

from pathlib import Path

from fastapi import FastAPI
from sqladmin import Admin
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.middleware import Middleware
from starlette.routing import Route

from cma.backoffice.auth import StaffSession
from cma.backoffice.guard import Unreadable
from cma.backoffice.views import VIEWS

PATH = "/back-office"
TEMPLATES = Path(__file__).parent / "templates"


def mount(app: FastAPI) -> async_sessionmaker[AsyncSession]:
    """Mount the back office; returns its sessionmaker, to bind once the engine exists."""
    sessionmaker = async_sessionmaker(class_=AsyncSession, expire_on_commit=False)
    staff = StaffSession(sessionmaker)
    admin = Admin(
        app,
        session_maker=sessionmaker,
        base_url=PATH,
        title="Gestion des CMA",
        templates_dir=str(TEMPLATES),
        authentication_backend=staff,
        middlewares=[Middleware(Unreadable)],
    )
    admin.admin.router.routes.insert(
        0, Route("/deconnexion", staff.log_out, methods=["POST"], name="deconnexion")
    )
    for view in VIEWS:
        admin.add_view(view)
    return sessionmaker
