"""Quality checks as data, and their evaluation on values: UI-free and storage-free (the pipeline feeds them)."""
