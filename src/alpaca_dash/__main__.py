"""``python -m alpaca_dash``: the same command as ``alpaca-dash``."""

from alpaca_dash.cli import main

if __name__ == "__main__":
    main()
