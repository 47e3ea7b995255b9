"""The articles briefbot ships with, loaded into an empty store so a fresh install can brief."""

from pathlib import Path

SEED_DIR = Path(__file__).resolve().parent


def seed_files() -> list[Path]:
    """Return the shipped seed articles, in name order."""
    return sorted(p for p in SEED_DIR.iterdir() if p.suffix in {".txt", ".md", ".html"})
