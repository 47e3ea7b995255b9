"""The `briefbot` console script, run as a user would: a subprocess in a fresh folder."""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
from fakes import CHESS, HARBOUR, HARVEST, VOLCANO, FeedEntry, make_rss, story_html, story_text
from fakes.keyboard import plainly

PROJECT = Path(__file__).resolve().parents[2]
FURNITURE = ("Recent Features", "[LIVE]", "Credit:", "China Power |")


def _briefbot() -> str:
    beside = Path(sys.executable).with_name("briefbot")
    if beside.exists():
        return str(beside)
    found = shutil.which("briefbot")
    assert found, "the briefbot console script is not installed"
    return found


BRIEFBOT = _briefbot()


class Runner:
    """Runs briefbot in a scratch folder with a clean environment."""

    def __init__(self, cwd: Path, home: Path) -> None:
        self.cwd = cwd
        env = dict(os.environ)
        for name in list(env):
            if name.startswith("BRIEFBOT_") or name in {"DATABASE_URL", "NLTK_DATA", "LOG_LEVEL"}:
                del env[name]
        env["HOME"] = str(home)
        env["PYTHONIOENCODING"] = "utf-8"
        self.env = env

    def __call__(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [BRIEFBOT, *args],
            cwd=self.cwd,
            env={**self.env, **env},
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=300,
            check=False,
        )


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "home"
    path.mkdir()
    return path


@pytest.fixture
def briefbot(tmp_path: Path, home: Path) -> Runner:
    cwd = tmp_path / "work"
    cwd.mkdir()
    return Runner(cwd, home)


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result.stdout


def bullet_texts(output: str) -> list[str]:
    return [line[2:] for line in output.splitlines() if line.startswith("• ")]


# -- brief -----------------------------------------------------------------------------------


def test_brief_prints_sourced_bullets_from_the_seeds(briefbot: Runner, home: Path) -> None:
    out = ok(briefbot("brief"))
    lines = out.splitlines()
    bullets = [i for i, line in enumerate(lines) if line.startswith("•")]
    assert len(bullets) >= 3, out
    for i in bullets:
        assert lines[i][1:].strip(), "an empty bullet"
        assert i + 1 < len(lines)
        assert re.match(r"^\s+Sources?: \S", lines[i + 1]), lines[i + 1]
    for furniture in FURNITURE:
        assert furniture not in out
    # The default database is a file in the current folder; HOME is left alone.
    assert (briefbot.cwd / "briefbot.db").is_file()
    assert list(home.iterdir()) == []


def test_brief_json_matches_the_documented_schema(briefbot: Runner) -> None:
    data = json.loads(ok(briefbot("brief", "--format", "json")))
    assert set(data) == {"title", "generated_at", "topic", "bullets"}
    assert isinstance(data["title"], str)
    assert data["title"]
    assert isinstance(data["generated_at"], str)
    assert datetime.fromisoformat(data["generated_at"]).tzinfo is not None
    assert data["topic"] is None
    assert isinstance(data["bullets"], list)
    assert len(data["bullets"]) >= 3
    for bullet in data["bullets"]:
        assert set(bullet) == {"text", "sources", "coverage", "story"}
        assert isinstance(bullet["text"], str)
        assert bullet["text"]
        assert isinstance(bullet["sources"], list)
        assert bullet["sources"]
        assert isinstance(bullet["coverage"], list)
        assert bullet["story"] is None or isinstance(bullet["story"], str)
        for source in bullet["sources"] + bullet["coverage"]:
            assert {"id", "title", "url", "outlet"} <= set(source)
            assert source.get("evidence") is None or isinstance(source["evidence"], str)
            assert type(source["id"]) is int
            assert isinstance(source["title"], str)
            assert source["url"] is None or isinstance(source["url"], str)
    assert not any(f in b["text"] for b in data["bullets"] for f in FURNITURE)


def test_a_fresh_install_credits_no_seed_for_a_sentence_it_does_not_contain(
    briefbot: Runner,
) -> None:
    """Every source of every seed bullet shows evidence that its own seed file contains."""
    from seeds import seed_files

    def flat(text: str) -> str:
        return " ".join(text.split())

    texts = [flat(p.read_text(encoding="utf-8")) for p in seed_files()]
    data = json.loads(ok(briefbot("brief", "--bullets", "20", "--format", "json")))
    assert len(data["bullets"]) >= 5
    for bullet in data["bullets"]:
        first = bullet["sources"][0]
        assert flat(bullet["text"]).startswith(flat(first["evidence"]))
        for source in bullet["sources"]:
            [own] = [t for t in texts if flat(source["title"]).rstrip(".") in t]
            assert source["evidence"], source
            assert flat(source["evidence"]) in own, (bullet["text"], source)


def test_brief_json_with_a_topic(briefbot: Runner) -> None:
    data = json.loads(ok(briefbot("brief", "ukraine", "-n", "3", "--format", "json")))
    assert isinstance(data["topic"], str)
    assert data["topic"] == "ukraine"
    assert len(data["bullets"]) == 3


def test_chat_brief_gives_the_same_bullets_as_brief(briefbot: Runner) -> None:
    direct = bullet_texts(ok(briefbot("brief")))
    chatted = bullet_texts(ok(briefbot("chat", "brief")))
    assert direct
    assert chatted == direct


def test_chat_with_a_topic_and_count(briefbot: Runner) -> None:
    direct = bullet_texts(ok(briefbot("brief", "ukraine", "--bullets", "3")))
    chatted = bullet_texts(ok(briefbot("chat", "brief ukraine 3")))
    assert len(direct) == 3
    assert chatted == direct


def test_chat_answers_as_a_workspace_only_when_given_one(briefbot: Runner, web) -> None:
    body = "".join(f"<p>{p}</p>" for p in VOLCANO.paragraphs)
    entry = FeedEntry(VOLCANO.title, web.url("/story/1"), content_html=body)
    feed = web.serve("/rss", make_rss("Loopback", web.url("/"), [entry]), "application/rss+xml")
    ok(
        briefbot(
            "chat", "--workspace", "slack:TB", f"feeds add {feed}", BRIEFBOT_FETCH_ALLOW="127.0.0.1"
        )
    )
    assert VOLCANO.title in ok(briefbot("chat", "articles magma"))  # the operator reads all
    assert VOLCANO.title in ok(briefbot("chat", "--workspace", "slack:TB", "articles magma"))
    other = briefbot("chat", "--workspace", "slack:TA", "articles magma")
    assert other.returncode == 2 and VOLCANO.title not in other.stdout + other.stderr
    wrong = briefbot("chat", "--workspace", "irc:x", "help")
    assert wrong.returncode == 2 and "--workspace" in wrong.stderr
    assert "Traceback" not in wrong.stderr


def test_brief_markdown(briefbot: Runner) -> None:
    out = ok(briefbot("brief", "--format", "markdown", "-n", "3"))
    assert out.startswith("## ")
    items = [line for line in out.splitlines() if line.startswith("- ")]
    assert len(items) == 3
    assert all(" — " in item for item in items)


def test_brief_with_a_window_and_a_summarizer(briefbot: Runner) -> None:
    assert len(bullet_texts(ok(briefbot("brief", "--since", "7d", "--summarizer", "lead")))) >= 3


# -- articles, summarize, ingest -------------------------------------------------------------


def test_articles_lists_id_date_lang_outlet_and_title(briefbot: Runner) -> None:
    out = ok(briefbot("articles"))
    lines = out.splitlines()
    assert re.match(r"^\s*id\s+date\s+lang\s+outlet\s+title$", lines[0]), lines[0]
    rows = lines[1:]
    assert len(rows) == 2
    titles = set()
    for row in rows:
        match = re.match(r"^\s*(\d+)  (\d{4}-\d{2}-\d{2})  en    (.{24})  (.+)$", row)
        assert match, row
        datetime.strptime(match.group(2), "%Y-%m-%d")
        # The seeds name no outlet: the column is blank, never their file names.
        assert ".txt" not in match.group(3)
        titles.add(match.group(4))
    assert any("Xi" in title for title in titles)


def test_articles_json(briefbot: Runner) -> None:
    data = json.loads(ok(briefbot("articles", "--format", "json")))
    assert len(data) == 2
    for item in data:
        assert set(item) == {
            "id",
            "title",
            "source",
            "outlet",
            "url",
            "published_at",
            "ingested_at",
            "lang",
        }
        datetime.fromisoformat(item["ingested_at"])
        assert item["lang"] == "en"


def test_summarize_a_stored_article_and_a_file(briefbot: Runner) -> None:
    out = ok(briefbot("summarize", "1", "-n", "2"))
    assert len(bullet_texts(out)) == 2
    path = briefbot.cwd / "chess.txt"
    path.write_text(story_text(CHESS), encoding="utf-8")
    out = ok(briefbot("summarize", str(path), "-n", "2"))
    assert out.startswith(f"Summary: {CHESS.title}")
    assert all(text in CHESS.paragraphs for text in bullet_texts(out))
    assert len(bullet_texts(out)) == 2


def test_ingest_a_folder_then_again(briefbot: Runner) -> None:
    folder = briefbot.cwd / "inbox"
    (folder / "sub").mkdir(parents=True)
    (folder / "harbour.txt").write_text(story_text(HARBOUR), encoding="utf-8")
    (folder / "sub" / "harvest.html").write_text(story_html(HARVEST), encoding="utf-8")
    (folder / "sub" / "chess.md").write_text(story_text(CHESS), encoding="utf-8")

    first = ok(briefbot("ingest", "--no-progress", str(folder)))
    assert first.strip() == "3 stored, 0 already stored"
    again = ok(briefbot("ingest", str(folder)))
    assert again.strip() == "0 stored, 3 already stored"

    listed = ok(briefbot("articles"))
    for story in (HARBOUR, HARVEST, CHESS):
        assert listed.count(story.title) == 1
    harvest = bullet_texts(ok(briefbot("brief", "wheat", "-n", "2")))
    assert len(harvest) == 2
    assert all(text in HARVEST.paragraphs for text in harvest)


def test_ingest_with_some_failures_still_succeeds(briefbot: Runner) -> None:
    good = briefbot.cwd / "harbour.txt"
    good.write_text(story_text(HARBOUR), encoding="utf-8")
    out = ok(briefbot("ingest", str(good), str(briefbot.cwd / "missing.txt")))
    assert out.startswith("1 stored, 0 already stored, 1 failed: ")
    assert "missing.txt" in out


def test_settings_come_from_the_environment_and_a_dotenv_file(briefbot: Runner) -> None:
    ok(briefbot("articles", DATABASE_URL="sqlite:///from_env.db"))
    assert (briefbot.cwd / "from_env.db").is_file()
    (briefbot.cwd / ".env").write_text("DATABASE_URL=sqlite:///from_dotenv.db\n")
    ok(briefbot("articles"))
    assert (briefbot.cwd / "from_dotenv.db").is_file()
    assert not (briefbot.cwd / "briefbot.db").exists()


# -- mistakes --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["summarize", "99999"],
        ["brief", "--since", "yesterday"],
        ["brief", "--summarizer", "nope"],
        ["summarize", "/no/such/file.txt"],
        ["ingest", "/no/such/path"],
        ["chat", "frobnicate"],
        ["brief", "--bullets", "0"],
        ["brief", "-n", "many"],
        ["brief", "--format", "xml"],
        ["brief", "volcano"],
        ["chat", "summarize /etc/passwd"],
        ["chat", "brief --bulets 3"],  # an option typed in chat is not an excluded word
        ["chat", "brief -n 3 xi"],
        ["brief", "from:"],  # an empty outlet is not the word "from"
        ["frobnicate"],
    ],
)
def test_user_mistakes_exit_2_with_one_line_on_stderr(briefbot: Runner, args: list[str]) -> None:
    result = briefbot(*args)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("briefbot")
    assert len(lines[0]) > len("briefbot: ")


def test_topic_words_may_start_with_a_minus_without_a_double_dash(briefbot: Runner) -> None:
    def bullets(*args: str) -> list[str]:
        return [line for line in ok(briefbot(*args)).splitlines() if line.startswith("•")]

    # An excluding word needs no `--`, before or after the options; `--` still works.
    excluded = bullets("brief", "xi", "-opinion", "-n", "2")
    assert len(excluded) == 2
    assert excluded == bullets("brief", "-n", "2", "xi", "-opinion")
    assert excluded == bullets("brief", "-n2", "--", "xi", "-opinion")
    assert ok(briefbot("articles", "xi", "-from:nobody")) == ok(briefbot("articles", "xi"))
    assert "•" in ok(briefbot("chat", "brief", "xi", "-from:nobody"))
    # A real option that is misspelt is still a mistake.
    wrong = briefbot("brief", "xi", "--bulets", "2")
    assert wrong.returncode == 2 and "unrecognized arguments: --bulets" in wrong.stderr


def test_mistake_messages_name_what_was_wrong(briefbot: Runner) -> None:
    assert "99999" in briefbot("summarize", "99999").stderr
    assert "yesterday" in briefbot("brief", "--since", "yesterday").stderr
    assert "nope" in briefbot("brief", "--summarizer", "nope").stderr
    assert "/no/such/file.txt" in briefbot("summarize", "/no/such/file.txt").stderr
    assert "frobnicate" in briefbot("chat", "frobnicate").stderr


def test_without_seeds_an_empty_store_says_so(briefbot: Runner) -> None:
    listed = ok(briefbot("articles", BRIEFBOT_LOAD_SEEDS="0"))
    assert "No articles stored yet" in listed
    result = briefbot("brief", BRIEFBOT_LOAD_SEEDS="0")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("briefbot: No stored articles")


def test_a_bad_database_url_is_a_user_error(briefbot: Runner) -> None:
    result = briefbot("articles", DATABASE_URL="not a url")
    assert result.returncode == 2
    assert "DATABASE_URL" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("content", [b"hello\n" * 200, b"SQLite format 3\x00" + b"\x07" * 500])
def test_a_file_that_is_no_database_is_one_line_not_a_traceback(
    briefbot: Runner, content: bytes
) -> None:
    # Not SQLite at all, and a damaged one (a header, then garbage).
    path = briefbot.cwd / "notes.db"
    path.write_bytes(content)
    for command in (["articles"], ["brief"], ["ingest", str(path)]):
        result = briefbot(*command, DATABASE_URL=f"sqlite:///{path}")
        assert result.returncode == 2, result.stderr
        assert "Traceback" not in result.stderr
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and "Cannot open the database" in lines[0], lines
        assert "DATABASE_URL" in lines[0]
    assert path.read_bytes() == content  # nothing written into it


def test_help(briefbot: Runner) -> None:
    out = ok(briefbot("--help"))
    for command in ("brief", "summarize", "articles", "ingest", "chat"):
        assert command in out
    assert not (briefbot.cwd / "briefbot.db").exists()


def test_no_command_prints_help(briefbot: Runner) -> None:
    assert "usage: briefbot" in ok(briefbot())


def test_subcommand_help(briefbot: Runner) -> None:
    assert "--since" in ok(briefbot("brief", "--help"))


# -- chat text as people type it --------------------------------------------------------------

SPACING = PROJECT / ".." / "shared" / "cases" / "realworld" / "command-spacing" / "commands.txt"


class InProcess:
    """Runs `bot.cli.main` in this process, in a `Runner`'s folder and environment, for a test
    that runs many commands: a process start each (imports, about a second) would be most of
    its time.  The other tests here start the console script as a user does."""

    def __init__(self, runner: Runner, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
        for name in list(os.environ):
            if name not in runner.env:
                monkeypatch.delenv(name)
        for name, value in runner.env.items():
            monkeypatch.setenv(name, value)
        monkeypatch.chdir(runner.cwd)
        self.capsys = capsys

    def __call__(self, *args: str) -> subprocess.CompletedProcess[str]:
        from bot.cli import main

        self.capsys.readouterr()
        code = main(list(args))
        out, err = self.capsys.readouterr()
        return subprocess.CompletedProcess(["briefbot", *args], code, out, err)


def test_chat_reads_the_handed_command_spacing_cases_as_typed_plainly(
    briefbot: Runner, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    """Each handed command gives what the same command typed plainly gives."""
    if not SPACING.is_file():
        pytest.skip(f"the handed cases are not here: {SPACING}")
    commands = [ast.literal_eval(line) for line in SPACING.read_text("utf-8").splitlines() if line]
    run = InProcess(briefbot, monkeypatch, capsys)
    for command in commands:
        typed = run("chat", command)
        plain = run("chat", plainly(command))
        assert "Traceback" not in typed.stderr
        assert "Unknown command" not in typed.stderr, command
        assert typed.returncode == plain.returncode, (command, typed.stderr)
        assert bullet_texts(typed.stdout) == bullet_texts(plain.stdout), command
        assert typed.stderr == plain.stderr, command


def test_chat_an_unreadable_window_is_an_error_not_a_topic(briefbot: Runner) -> None:
    result = briefbot("chat", "brief ukraine 3 9y")
    assert result.returncode == 2
    assert "9y" in result.stderr and "24h" in result.stderr
    assert not bullet_texts(result.stdout)


def test_output_into_a_closed_pipe_ends_quietly(briefbot: Runner) -> None:
    ok(briefbot("articles"))  # seed the store first
    reader = subprocess.Popen(
        [BRIEFBOT, "brief", "--bullets", "20", "--since", "all"],
        cwd=briefbot.cwd,
        env=briefbot.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert reader.stdout is not None and reader.stderr is not None
    reader.stdout.close()  # like `| head` exiting before briefbot writes
    error = reader.stderr.read().decode()
    reader.wait(timeout=120)
    assert "Traceback" not in error and "BrokenPipe" not in error, error


def test_chat_runs_digest_and_feeds_commands_in_a_named_channel(briefbot: Runner, web) -> None:
    """An operator inspects and fixes any channel's digests and feeds (issue 16)."""
    body = "".join(f"<p>{p}</p>" for p in VOLCANO.paragraphs)
    entry = FeedEntry(VOLCANO.title, web.url("/story/1"), content_html=body)
    feed = web.serve("/rss", make_rss("Loopback", web.url("/"), [entry]), "application/rss+xml")
    there = ("chat", "--platform", "slack", "--workspace", "T1", "--channel", "C1")
    refused = briefbot("chat", "digest list")
    assert refused.returncode != 0 and "--channel" in refused.stdout + refused.stderr
    added = ok(briefbot(*there, f"feeds add {feed}", BRIEFBOT_FETCH_ALLOW="127.0.0.1"))
    assert "Attached to this channel" in added
    assert "this channel" in ok(briefbot(*there, "feeds list"))
    subscribed = ok(briefbot(*there, "digest subscribe weekdays 08:30 Europe/Paris magma"))
    assert "weekdays at 08:30 Europe/Paris" in subscribed
    listed = ok(briefbot(*there, "digest list"))
    assert listed.startswith("#1 · weekdays at 08:30 Europe/Paris · magma")
    assert "#1" not in ok(
        briefbot("chat", "--workspace", "slack:T1", "--channel", "C2", "digest list")
    )
    assert VOLCANO.title in ok(briefbot(*there, "digest now"))
    assert "removed 1 digest" in ok(briefbot(*there, "digest unsubscribe 1"))
    lonely = briefbot("chat", "--channel", "C1", "digest list")
    assert lonely.returncode == 2 and "--workspace" in lonely.stderr
    assert "Traceback" not in lonely.stderr


def test_feeds_import_and_export_opml(briefbot: Runner, tmp_path: Path) -> None:
    """`feeds export > feeds.opml` then `feeds import` into an empty store: the same feeds;
    a broken file: one line, nothing imported."""
    listing = tmp_path / "mine.opml"
    listing.write_text(
        '<?xml version="1.0"?><opml version="2.0"><head/><body><outline text="News">'
        '<outline type="rss" text="One" xmlUrl="https://one.test/rss"/>'
        '<outline type="rss" text="Two" xmlUrl="https://two.test/atom"/>'
        "</outline></body></opml>",
        encoding="utf-8",
    )
    assert "Imported 2 feeds" in ok(briefbot("feeds", "import", str(listing)))
    exported = ok(briefbot("feeds", "export"))
    assert 'xmlUrl="https://one.test/rss"' in exported
    broken = tmp_path / "broken.opml"
    broken.write_text(exported[: len(exported) // 2], encoding="utf-8")
    other = briefbot("feeds", "import", str(broken), DATABASE_URL="sqlite:///b.db")
    assert other.returncode == 2 and "nothing imported" in other.stderr
    assert len(other.stderr.strip().splitlines()) == 1 and "Traceback" not in other.stderr
    again = tmp_path / "again.opml"
    again.write_text(exported, encoding="utf-8")
    empty = {"DATABASE_URL": "sqlite:///b.db"}
    assert "Imported 2 feeds" in ok(briefbot("feeds", "import", str(again), **empty))
    listed = ok(briefbot("feeds", "list", **empty))
    assert "One · https://one.test/rss" in listed and "Two · https://two.test/atom" in listed
    assert ok(briefbot("feeds", "export", **empty)).count("<outline") == 2


@pytest.mark.parametrize("options", [["-n", "3"], ["--since", "7d"], ["--summarizer", "lead"]])
def test_brief_why_with_briefing_options_says_to_ask_separately(
    briefbot: Runner, monkeypatch: pytest.MonkeyPatch, capsys, options: list[str]
) -> None:
    run = InProcess(briefbot, monkeypatch, capsys)
    assert run("brief", "-n", "2").returncode == 0
    result = run("brief", "why", "1", *options)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        "briefbot: `briefbot brief why N` takes the bullet number alone: ask for a briefing "
        "and its reasons separately."
    ]
    assert "Why bullet 1 of 2" in run("brief", "why", "1").stdout
