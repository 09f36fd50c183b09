"""The verifier's configuration: one declarative table of keys, each with its type,
default, check and help. Loading, the error for an unknown key, the reference
in the docs and the run options of the CLI and the pytest plugin all come from
the tables below, so none of them can drift from another.

Read from `[tool.verify-tutorial]` in a project's pyproject.toml, or from a
file of its own (this repository's conf/verify.toml); paths are relative to
`root`, itself relative to the file.
"""

from __future__ import annotations

import difflib
import fnmatch
import math
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .checking.normalize import Rule
from .document.model import DEFAULT_PROMPTS, Dialect, prompt_pattern
from .document.options import page_defaults
from .engines import ENGINES
from .errors import VerifyError
from .parsing.pages import find_pages
from .services import Service

DEFAULT_FILE = Path("conf/verify.toml")
TABLE = "verify-tutorial"  # [tool.verify-tutorial] in pyproject.toml


@dataclass(frozen=True)
class Settings:
    root: Path
    source: Path  # the settings file itself
    pages: Path
    project: Path | None  # None: each page starts in an empty folder
    results_dir: Path
    engine: str
    default_timeout: float
    console_languages: frozenset[str]
    targets: dict[str, str]  # target -> what a block needing it shows, in the configured order
    requirements: tuple[str, ...]  # what --allow may grant, besides the targets
    detect: dict[str, str]  # requirement -> command that succeeds where it is met
    setup_hint: str
    rules: tuple[Rule, ...]
    reserved: dict[str, list[str]]
    services: dict[str, Service]  # by the requirement each satisfies
    versions: dict[str, str]  # requirement -> command printing what meets it
    roles: dict[str, str]  # role (a prompt label) -> the account it runs as when started as root; first: the default
    prompts: tuple[str, ...] = DEFAULT_PROMPTS  # regular expressions, each a prompt before a command
    exclude: tuple[str, ...] = ()  # glob patterns of pages, relative to `pages`, never read
    defaults: tuple[str, ...] = ()  # every block's options to start from, as option words
    keep_going: bool = False  # after a failure, run the rest of the page
    casts: bool = False  # record each block's run for a site's player (casts/PAGE/LINE.cast)

    @property
    def dialect(self) -> Dialect:
        return Dialect(
            self.console_languages,
            frozenset(self.targets) | frozenset(self.requirements),
            prompt_pattern(self.prompts),
            self.defaults,
        )

    def all_pages(self) -> list[Path]:
        """Every page under `pages`, in a stable order, less the excluded."""
        if not self.pages.is_dir():
            raise VerifyError(f"no pages at {self.pages}; check 'pages' in {self.source}")
        return [page for page in find_pages(self.pages) if not self.excluded(page)]

    def excluded(self, page: Path) -> bool:
        """Whether a page matches one of the `exclude` patterns (relative to `pages`)."""
        try:
            relative = page.resolve().relative_to(self.pages.resolve()).as_posix()
        except ValueError:
            return False
        # fnmatch's '*' crosses folders: "drafts/*" is every page under drafts/.
        return any(fnmatch.fnmatchcase(relative, pattern) for pattern in self.exclude)

    def relative(self, path: Path) -> str:
        """How reports name a file: relative to the repository when inside it."""
        try:
            return str(path.relative_to(self.root))
        except ValueError:
            return str(path)


class Invalid(Exception):
    """A key's value is unusable: the message says what to write instead."""


@dataclass(frozen=True)
class Key:
    name: str
    kind: str  # as the reference shows it
    default: Any
    help: str
    parse: Callable[[Any], Any]  # the TOML value -> the setting's value; raises Invalid


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise Invalid("give a non-empty string")
    return value


def _optional_text(value: Any) -> str:
    if not isinstance(value, str):
        raise Invalid("give a string")
    return value


def _engine(value: Any) -> str:
    if value not in ENGINES:
        raise Invalid(f"use one of {', '.join(ENGINES)}")
    return str(value)


def _seconds(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < math.inf:
        raise Invalid("give a positive number of seconds")
    return float(value)


def _names(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and re.fullmatch(r"[\w.-]+", v) for v in value):
        raise Invalid('give a list of names, as in ["apptainer", "network"]')
    return tuple(value)


def _commands(value: Any) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(v, str) and v.strip() for v in value.values()):
        raise Invalid('give a table of name = "command", as in apptainer = "apptainer --version"')
    return dict(value)


def _targets(value: Any) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(v, str) and v.strip() for v in value.values()):
        raise Invalid('give a table of name = "what a block needing it shows", as in gpu = "needs a GPU machine"')
    return dict(value)


def _rules(value: Any) -> tuple[Rule, ...]:
    example = '[[rules]] with name = "seed", pattern = "seed \\\\d+", placeholder = "seed <n>"'
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise Invalid(f"give a list of tables: {example}")
    rules = []
    for entry in value:
        if set(entry) != {"name", "pattern", "placeholder"} or not all(isinstance(v, str) for v in entry.values()):
            raise Invalid(f"each rule has exactly name, pattern and placeholder: {example}")
        try:
            pattern = re.compile(entry["pattern"])
        except re.error as error:
            raise Invalid(f"rule {entry['name']}: pattern is not a regular expression ({error})") from None
        # A match with the pattern's groups, all empty: a bad group reference or escape
        # in the placeholder shows here, at load, not in the middle of a run.
        names = {number: name for name, number in pattern.groupindex.items()}
        groups = "".join(f"(?P<{names[i]}>)" if i in names else "()" for i in range(1, pattern.groups + 1))
        try:
            re.match(groups, "").expand(entry["placeholder"])  # type: ignore[union-attr]  # empty groups always match
        except (re.error, IndexError) as error:
            raise Invalid(f"rule {entry['name']}: placeholder is not a replacement ({error})") from None
        rules.append(Rule(entry["name"], pattern, entry["placeholder"]))
    return tuple(rules)


def _reserved(value: Any) -> dict[str, list[str]]:
    if not isinstance(value, dict) or not all(
        isinstance(v, list) and all(isinstance(n, str) for n in v) for v in value.values()
    ):
        raise Invalid('give a table of kind = [names], as in container = ["dp"]')
    return {kind: list(names) for kind, names in value.items()}


def _services(value: Any) -> dict[str, dict[str, Any]]:
    if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
        raise Invalid('a table of tables: [services.NAME] with start = "..."')
    return value


def _roles(value: Any) -> dict[str, str]:
    word = r"[a-z_][a-z0-9_.-]*"
    if not isinstance(value, dict) or not all(
        re.fullmatch(r"[a-z][a-z0-9_-]*", role) and isinstance(name, str) and re.fullmatch(word, name)
        for role, name in value.items()
    ):
        raise Invalid(
            'give a table of role = "account", as in workstation = "verify-reader" '
            "(a role is a lowercase word: a letter, then letters, digits, - or _)"
        )
    return dict(value)


def _languages(value: Any) -> frozenset[str]:
    return frozenset(_names(value))


def _prompts(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
        raise Invalid('give a list of regular expressions, as in ["\\\\$ ", "# "]')
    for prompt in value:
        try:
            pattern = re.compile(prompt)
        except re.error as error:
            raise Invalid(f"{prompt!r} is not a regular expression ({error})") from None
        if pattern.groups or pattern.match(""):
            raise Invalid(f"{prompt!r} must match some text and hold no groups; use (?:...) to group")
    return tuple(value)


def _globs(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v and not v.startswith("/") for v in value):
        raise Invalid('give a list of glob patterns relative to pages, as in ["drafts/**", "changelog.md"]')
    return tuple(value)


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise Invalid("give true or false")
    return value


DEFAULT_KEYS = ("pty", "env", "cwd", "role", "requires", "skip", "session")


def _defaults(value: Any) -> tuple[str, ...]:
    """[defaults] as the option words a block would write: pty = true -> "pty"."""
    example = 'pty = true, env = { COLUMNS = "80" }, cwd = "examples"'
    if not isinstance(value, dict):
        raise Invalid(f"give a table, as in [defaults] {example}")
    words = []
    for key, setting in value.items():
        if key == "timeout":
            raise Invalid("the default timeout is default_timeout, a key of its own")
        if key not in DEFAULT_KEYS:
            close = difflib.get_close_matches(key, DEFAULT_KEYS, n=1)
            guess = f"did you mean {close[0]}? " if close else ""
            raise Invalid(f"unknown key {key!r}; {guess}known: {', '.join(DEFAULT_KEYS)}")
        if key == "pty":
            words.append(f"pty={'true' if _flag(setting) else 'false'}")
        elif key == "env":
            if not isinstance(setting, dict) or not all(isinstance(v, str) for v in setting.values()):
                raise Invalid('env is a table of strings, as in env = { COLUMNS = "80", TZ = "UTC" }')
            words += [f"env={name}={text}" for name, text in setting.items()]
        elif key == "requires":
            words.append(f"requires={','.join(_names(setting))}")
        else:
            words.append(f"{key}={_text(setting)}")
    return tuple(words)


KEYS: tuple[Key, ...] = (
    Key("root", "path", ".", "The repository, relative to this file; the other paths are relative to it.", _text),
    Key("pages", "path", "docs", "The folder of pages (.md and .rst) whose console blocks run.", _text),
    Key("project", "path", None, "Copied fresh for each page, which runs in the copy; none: an empty folder.", _text),
    Key("results_dir", "path", "build/verify", "Where results.json and junit.xml go.", _text),
    Key("engine", "string", "docker", f"What the commands work against: {', '.join(ENGINES)}.", _engine),
    Key("default_timeout", "seconds", 300, "How long a command may run unless its block says timeout=...", _seconds),
    Key(
        "console_languages",
        "list",
        sorted(Dialect().console_languages),
        "The fenced languages that are console sessions.",
        _languages,
    ),
    Key(
        "targets",
        "table",
        {},
        "The machines --target chooses between (the first is the default), each with what a block "
        'that requires it shows: gpu = "needs a GPU machine". Blocks for the others are skipped with those words.',
        _targets,
    ),
    Key(
        "requirements",
        "list",
        [],
        "Other names blocks may require (requires=NAME); --allow NAME grants one.",
        _names,
    ),
    Key(
        "detect",
        "table",
        {},
        'Requirement = command that succeeds where it is met: apptainer = "command -v apptainer".',
        _commands,
    ),
    Key(
        "setup_hint",
        "string",
        "",
        "Said after 'no engine reachable': how this project provisions a host.",
        _optional_text,
    ),
    Key(
        "prompts",
        "list",
        list(DEFAULT_PROMPTS),
        "Regular expressions, each a prompt a command line starts with (after an optional `(label) `). "
        "A block with no prompt at all is output shown alone: not run.",
        _prompts,
    ),
    Key("exclude", "list", [], 'Glob patterns of pages, relative to pages, never read: ["drafts/**"].', _globs),
    Key(
        "defaults",
        "table",
        {},
        "Every block's options to start from (a page's `verify-page:` line, then the block's own, "
        f"override them): {', '.join(DEFAULT_KEYS)}. env and cwd say how each page's shells start.",
        _defaults,
    ),
    Key(
        "keep_going",
        "boolean",
        False,
        "After a failure, run the rest of the page, each later failure marked as after it "
        "(always so under --accept, unless --stop-at-first).",
        _flag,
    ),
    Key(
        "casts",
        "boolean",
        False,
        "Record each block's run, with its timings, as an asciinema cast (casts/PAGE/LINE.cast under "
        "results_dir), for a site to play; results entries name their cast. Off: no files, and a page's "
        "old casts are removed.",
        _flag,
    ),
    Key("rules", "list of tables", [], "The project's own normalizers: [[rules]] name, pattern, placeholder.", _rules),
    Key(
        "reserved",
        "table",
        {},
        "Names the pages create out of sight (through make): kind = [names], checked free first.",
        _reserved,
    ),
    Key(
        "services",
        "table of tables",
        {},
        "[services.NAME]: start (a command) and check: daemons started for the pages that require NAME.",
        _services,
    ),
    Key("versions", "table", {}, "Requirement = command printing what met it, named in the results.", _commands),
    Key(
        "roles",
        "table",
        {},
        'Role = account: who runs the commands, as a reader would: workstation = "verify-reader". A prompt '
        "labelled with a role, `(cluster) $`, runs as it; any other as the first. Started as root, each role "
        "runs as its account; as anyone else, as that user. None: as whoever starts the run.",
        _roles,
    ),
)
KEY_NAMES = tuple(key.name for key in KEYS)


def find(start: Path) -> Path | None:
    """The pyproject.toml at `start` if it configures the verifier; else None (stay inert)."""
    candidate = start / "pyproject.toml"
    try:
        data = tomllib.loads(candidate.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return None
    return candidate if TABLE in data.get("tool", {}) else None


def discover(start: Path) -> Path | None:
    """The settings for a run started in `start`: in it or the nearest folder above it,
    a pyproject.toml with a [tool.verify-tutorial] table, else a conf/verify.toml."""
    for folder in (start, *start.parents):
        found = find(folder)
        if found is not None:
            return found
        if (folder / DEFAULT_FILE).is_file():
            return folder / DEFAULT_FILE
    return None


def load(path: Path = DEFAULT_FILE) -> Settings:
    """Settings from a settings file, or from a pyproject.toml's [tool.verify-tutorial]."""
    path = path.resolve()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise VerifyError(f"no settings file at {path}; pass --verify-config, or run from the project's root") from None
    except tomllib.TOMLDecodeError as error:
        raise VerifyError(f"{path}: not valid TOML ({error}); fix the file") from None
    if path.name == "pyproject.toml":
        if TABLE not in data.get("tool", {}):
            raise VerifyError(f"{path} has no [tool.{TABLE}] table; add one (see the verifier's README)")
        data = data["tool"][TABLE]
    unknown = sorted(set(data) - set(KEY_NAMES))
    if unknown:
        close = difflib.get_close_matches(unknown[0], KEY_NAMES, n=1)
        guess = f"did you mean {close[0]}? " if close else ""
        raise VerifyError(f"{path}: unknown key {unknown[0]!r}; {guess}known: {', '.join(KEY_NAMES)}")
    values: dict[str, Any] = {}
    for key in KEYS:
        raw = data.get(key.name, key.default)
        try:
            values[key.name] = None if raw is None else key.parse(raw)
        except Invalid as error:
            raise VerifyError(f"{path}: {key.name} = {raw!r}: {error}") from None
    root = (path.parent / values["root"]).resolve()
    vocabulary = tuple(values["targets"]) + values["requirements"]
    return Settings(
        root=root,
        source=path,
        pages=root / values["pages"],
        project=root / values["project"] if values["project"] else None,
        results_dir=root / values["results_dir"],
        engine=values["engine"],
        default_timeout=values["default_timeout"],
        console_languages=values["console_languages"],
        targets=values["targets"],
        requirements=values["requirements"],
        detect=_within(path, "detect", values["detect"], values["requirements"]),
        setup_hint=values["setup_hint"],
        rules=values["rules"],
        reserved=values["reserved"],
        services=_service_table(path, values["services"], values["requirements"]),
        versions=_within(path, "versions", values["versions"], vocabulary),
        roles=values["roles"],
        prompts=values["prompts"],
        exclude=values["exclude"],
        defaults=_checked_defaults(path, values["defaults"], vocabulary),
        keep_going=values["keep_going"],
        casts=values["casts"],
    )


def _checked_defaults(path: Path, words: tuple[str, ...], vocabulary: tuple[str, ...]) -> tuple[str, ...]:
    """[defaults] checked as a page's would be, so a bad value is named here, once."""
    try:
        page_defaults([(f"{path} [defaults]", list(words))], frozenset(vocabulary))
    except VerifyError as error:
        raise VerifyError(str(error)) from None
    return words


def _within(path: Path, table: str, entries: dict[str, str], known: tuple[str, ...]) -> dict[str, str]:
    stray = sorted(set(entries) - set(known))
    if stray:
        raise VerifyError(
            f"{path}: [{table}] {stray[0]}: not a requirement; declare it in requirements "
            f"(known: {', '.join(known) or 'none'})"
        )
    return entries


def _service_table(path: Path, table: dict[str, dict[str, Any]], requirements: tuple[str, ...]) -> dict[str, Service]:
    """[services.NAME] tables: NAME is a requirement blocks give; start is required."""
    services = {}
    for name, entry in table.items():
        if name not in requirements:
            known = ", ".join(requirements) or "none declared"
            raise VerifyError(f"{path}: [services.{name}]: name it after the requirement it meets ({known})")
        start, check = entry.get("start"), entry.get("check")
        if not isinstance(start, str) or not start.strip():
            raise VerifyError(f'{path}: [services.{name}] needs start = "command that starts it"')
        unknown = sorted(set(entry) - {"start", "check"})
        if unknown:
            raise VerifyError(f"{path}: [services.{name}]: unknown key {', '.join(unknown)}; use start and check")
        if check is not None and (not isinstance(check, str) or not check.strip()):
            raise VerifyError(f'{path}: [services.{name}] check must be a command, as in check = "command -v X"')
        services[name] = Service(name=name, start=start, check=check)
    return services


@dataclass(frozen=True)
class RunOption:
    """An option of one run, the same under the CLI (--NAME) and pytest (--verify-NAME)."""

    name: str
    help: str
    action: str = "store"  # argparse's: store, store_true, append
    metavar: str | None = None

    def argparse_extras(self) -> dict[str, Any]:
        """What argparse takes besides the name, action and help."""
        if self.action == "store_true":
            return {}
        return {"metavar": self.metavar, **({"default": []} if self.action == "append" else {})}


RUN_OPTIONS = (
    RunOption("target", "the machine this is: one of the configuration's targets (default: the first)", metavar="NAME"),
    RunOption("allow", "run the blocks that require NAME (repeatable)", action="append", metavar="NAME"),
    RunOption("accept", "write the real output into the pages where it differs", action="store_true"),
    RunOption(
        "keep-going", "after a failure, run the rest of the page (the default under --accept)", action="store_true"
    ),
    RunOption("stop-at-first", "after a failure, skip the rest of the page, even under --accept", action="store_true"),
    RunOption("no-wait", "refuse at once if another run holds the engine", action="store_true"),
    RunOption(
        "results-dir", "where results.json and junit.xml go (default: the configuration's results_dir)", metavar="DIR"
    ),
)


def reference_markdown() -> str:
    """The configuration's keys as a Markdown table, for the docs."""
    rows = ["| key | type | default | what it sets |", "|---|---|---|---|"]
    for key in KEYS:
        default = "none" if key.default is None else f"`{key.default!r}`".replace("'", '"')
        text = key.help.replace("|", "\\|")
        rows.append(f"| `{key.name}` | {key.kind} | {default} | {text} |")
    return "\n".join(rows)
