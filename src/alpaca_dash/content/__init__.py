"""Turning a panel spec and a run (or a run range) into what its chart draws. Imports no NiceGUI."""
