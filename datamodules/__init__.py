"""Data in: readers for the downstream task files, pre-finetuning text sources, data modules."""
