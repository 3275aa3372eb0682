"""Item pipelines: extract, normalize, store (see DESIGN.md for the data flow)."""
