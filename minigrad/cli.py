"""The ``minigrad`` command: ``minigrad --version`` and its subcommands.

A subcommand lives in its own module, which provides ``add_arguments(parser)`` and
``main(args) -> int``; it is imported only when that subcommand runs.
"""
from __future__ import annotations

import argparse
import importlib
import sys

from . import __version__

# name -> (module, one-line help)
SUBCOMMANDS = {
    "journey": ("minigrad.journey", "retrace random search -> numeric gradient -> SGD -> Adam "
                                    "on a real classifier"),
    "paths": ("minigrad.viz.paths", "draw optimizers' paths on 2-D test surfaces"),
    "demo": ("minigrad.demo", "train a tiny classifier and print its loss falling"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="minigrad",
        description="minigrad: reverse-mode autodiff on numpy, and the history of optimizers.")
    parser.add_argument("--version", action="version", version=f"minigrad {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module_name, help_text) in SUBCOMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(_module=module_name)
        module = _load(module_name, quiet=True)
        add_arguments = getattr(module, "add_arguments", None)
        if add_arguments is not None:
            add_arguments(p)
    return parser


def _load(module_name: str, quiet: bool = False):
    try:
        return importlib.import_module(module_name)
    except ImportError as exc:
        if quiet and exc.name == module_name:
            return None
        raise


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        print(f"minigrad {__version__}\n")
        parser.print_help()
        return 0
    module = _load(args._module)
    return int(module.main(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
