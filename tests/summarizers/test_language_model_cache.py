"""The language model kept in the user's cache: the same identifier as the packaged model."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from py3langid.langid import MODEL_FILE, LanguageIdentifier

from summarizers import languages

PROJECT = Path(__file__).resolve().parents[2]
SAMPLES = [
    "The council approved the harbour budget on Tuesday after a long debate.",
    "Die Regierung beschloss am Montag neue Steuern für Unternehmen.",
    "Le gouvernement a annoncé mardi une réforme des retraites très contestée.",
    "El presidente dijo que el acuerdo se firmará la próxima semana en Madrid.",
    "Президент заявил, что переговоры продолжатся на следующей неделе.",
    "习近平主席今天在北京会见了法国总统。",
    "日本の首相は記者会見で新しい経済対策を発表した。",
    "Café résumé naïve façade",
]


@pytest.fixture(scope="module")
def packaged() -> LanguageIdentifier:
    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(languages.SUPPORTED))
    return identifier


def test_the_cached_model_is_the_packaged_one(packaged, tmp_path: Path) -> None:
    path = tmp_path / "cache" / "model.npz.zlib"
    languages._write_cached_model(packaged, path)
    assert 0 < path.stat().st_size < 10_000_000
    cached = languages._read_cached_model(path)
    assert cached is not None
    for name in ("nb_ptc", "nb_pc"):
        got, want = getattr(cached, name), getattr(packaged, name)
        assert got.dtype == want.dtype and got.shape == want.shape
        assert np.array_equal(got, want)
    assert cached.nb_classes == packaged.nb_classes
    assert cached.tk_nextmove == packaged.tk_nextmove
    assert cached.tk_row == packaged.tk_row
    assert cached.tk_output == packaged.tk_output
    for text in SAMPLES:
        assert cached.classify(text) == packaged.classify(text)


def test_a_cache_that_cannot_be_written_or_read_is_no_error(packaged, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder would be", encoding="utf-8")
    languages._write_cached_model(packaged, blocker / "model.npz.zlib")  # no exception
    assert languages._read_cached_model(blocker / "model.npz.zlib") is None
    broken = tmp_path / "broken.npz.zlib"
    broken.write_bytes(b"not zlib data")
    assert languages._read_cached_model(broken) is None
    assert languages._read_cached_model(tmp_path / "missing.npz.zlib") is None
    assert set(tmp_path.iterdir()) == {blocker, broken}  # no temporary file left


def test_the_first_process_keeps_the_model_and_the_next_reads_it(tmp_path: Path) -> None:
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path)}
    script = (
        "from summarizers.languages import detect, model_cache_path; "
        f"print(detect({SAMPLES[1]!r}), model_cache_path())"
    )

    def run() -> list[str]:
        done = subprocess.run(
            [sys.executable, "-c", script],
            env=env,
            cwd=PROJECT,
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout.split()

    lang, path = run()
    assert lang == "de"
    assert Path(path).parent == tmp_path / "briefbot"
    assert Path(path).exists()  # written before the process ended
    assert [p.suffix for p in Path(path).parent.iterdir()] == [".zlib"]  # no temporary file
    assert languages._read_cached_model(Path(path)) is not None
    assert run() == ["de", path]  # read from the cache, same answer
