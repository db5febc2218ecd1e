"""Browser libraries installed by ``npm ci`` into node_modules and served from there, never copied into the repo."""

from __future__ import annotations

from pathlib import Path

from nicegui import app, ui
from nicegui.dependencies import register_importmap_override

VENDOR_ROUTE = "/vendor"
#: package name to the folder inside it that is served
PACKAGES = {"gridstack": "dist"}


class VendorMissing(RuntimeError):
    """A browser library is not installed."""


def find_node_modules(explicit: Path | None = None) -> Path:
    """The node_modules folder: ``explicit`` (the ``ALPACA_DASH_NODE_MODULES`` setting), else ./node_modules, else the
    one beside the source checkout.

    :raises VendorMissing: naming the places looked at and the command that installs the libraries.
    """
    candidates = [explicit] if explicit is not None else []
    candidates += [Path.cwd() / "node_modules", Path(__file__).resolve().parents[3] / "node_modules"]
    for candidate in candidates:
        if all((candidate / package / folder).is_dir() for package, folder in PACKAGES.items()):
            return candidate.resolve()
    looked = ", ".join(str(c) for c in candidates)
    raise VendorMissing(
        f"the browser libraries ({', '.join(PACKAGES)}) are not installed; looked in {looked}. "
        "Run 'npm ci' (or 'make install') in the repository, or set ALPACA_DASH_NODE_MODULES."
    )


#: module name in the page's import map to the served file (as NiceGUI maps AG Grid to a self-hosted bundle)
MODULES = {"gridstack": f"{VENDOR_ROUTE}/gridstack/gridstack-all.js"}
#: the stylesheets of the served packages
STYLESHEETS = {"gridstack": f"{VENDOR_ROUTE}/gridstack/gridstack.min.css"}


def serve_vendor_files(node_modules: Path) -> None:
    """Serve each package's distribution folder under ``/vendor/<package>`` and name its module in the import map,
    so that the elements using it import it (``import "gridstack"`` in ``static/grid.js``)."""
    for package, folder in PACKAGES.items():
        app.add_static_files(f"{VENDOR_ROUTE}/{package}", node_modules / package / folder)
    for name, url in MODULES.items():
        register_importmap_override(name, url)


def add_stylesheet(package: str) -> None:
    """Link a served package's stylesheet into the page being built."""
    ui.add_head_html(f'<link rel="stylesheet" href="{STYLESHEETS[package]}">')
