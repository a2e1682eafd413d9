"""``python -m omnimemory_kit`` runs the command-line interface."""

from omnimemory_kit.cli import main

main()
