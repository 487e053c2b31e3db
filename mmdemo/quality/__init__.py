"""Quality checks on labelled data: measured numbers for docs/quality.md, not assumptions."""
