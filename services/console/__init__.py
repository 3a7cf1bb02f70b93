"""The duty officers' web console: static HTML, CSS and JavaScript modules served at /console/ by the embedded
app. Nothing here needs a token; every API call the page makes carries the signed-in person's bearer token."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).parent / "static"
MOUNT_PATH = "/console"


def mount_console(app: FastAPI) -> None:
    app.mount(MOUNT_PATH, StaticFiles(directory=STATIC_DIR, html=True), name="console")
