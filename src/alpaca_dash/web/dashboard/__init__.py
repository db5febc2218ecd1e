"""The dashboard page: run bar, observable tree, panel dialog and the grid of panels."""
