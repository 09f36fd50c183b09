"""Sessions: tests, verify-tutorial, bench, gpu-image, docs, docs-live, linkcheck, lint, provision.

Every session installs its tools pinned by conf/constraints.txt, so a run next
month installs the versions this one did.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nox

# conf/host_setup.py: what the README's two commands provision before they run.
sys.path.insert(0, str(Path(__file__).resolve().parent / "conf"))
import host_setup

nox.needs_version = ">=2024.10.9"
nox.options.default_venv_backend = "uv|virtualenv"
nox.options.sessions = ["lint", "tests"]

CONSTRAINTS = ("--constraint", "conf/constraints.txt")
PYPROJECT = nox.project.load_toml("pyproject.toml")


def install(session: nox.Session, *groups: str, project: str | None = ".[docker]") -> None:
    """The dependency groups, and the project (with the Docker extra, unless told otherwise)."""
    packages = [p for group in groups for p in nox.project.dependency_groups(PYPROJECT, group)]
    if project:
        packages.append(project)
    session.install(*CONSTRAINTS, *packages)


def engine_env() -> dict[str, str]:
    """Prefer Debian's client where it exists: it does BuildKit with DOCKER_BUILDKIT=1,
    while a newer client lacking the buildx plugin silently falls back to the legacy builder."""
    path = os.environ.get("PATH", "")
    docker = shutil.which("docker")
    has_buildx = (
        docker is not None and subprocess.run([docker, "buildx", "version"], capture_output=True).returncode == 0
    )
    if not has_buildx and os.path.exists("/usr/bin/docker"):
        path = "/usr/bin:" + path
    return {"PATH": path, "DOCKER_BUILDKIT": "1"}


def provision_missing(session: nox.Session, needs_browser: bool, site_only: bool = False) -> None:
    """As root on Debian or Ubuntu, provision what this host lacks; elsewhere stop with the command to run.
    `site_only`: the session builds the site and needs no engine, only Graphviz."""
    look = host_setup.probe_docs if site_only else lambda: host_setup.probe(shutil.which("docker"), needs_browser)
    try:
        host_setup.ensure(look, session.log)
    except host_setup.SetupError as error:
        session.error(str(error))


@nox.session
def tests(session: nox.Session) -> None:
    """Unit tests and the Docker integration and browser tests (what they need is provisioned first)."""
    provision_missing(session, needs_browser=True)
    install(session, "tests")
    session.run("pytest", *session.posargs, env=engine_env())


@nox.session(name="verify-tutorial", default=False)
def verify_tutorial(session: nox.Session) -> None:
    """Run every console block of the guide against a real engine (pass --target gpu on a GPU runner)."""
    provision_missing(session, needs_browser=False)
    install(session)
    session.run("python", "-m", "verify_tutorial", *session.posargs, env=engine_env())


@nox.session(default=False)
def bench(session: nox.Session) -> None:
    """Build the seed-style recipe and the template's side by side; print sizes, rebuild times, downloads;
    and time the verifier's shell per command beside byexample's and prysk's."""
    install(session)
    # What the verifier's cost per command is set beside; kept out of the shared
    # constraints, since byexample pins an old wcwidth.
    session.install("byexample==11.0.0", "prysk==0.20.0")
    session.run("python", "-m", "image_bench", *session.posargs, env=engine_env())


@nox.session(name="gpu-image", default=False)
def gpu_image(session: nox.Session) -> None:
    """Build the GPU image and check what a machine without a GPU can: JAX finds its CUDA plugin,
    and example.py --require-gpu exits 3. About 6 GB; the bench's --gpu runs the same checks."""
    install(session)
    session.run("python", "-m", "image_bench.gpu_image", *session.posargs, env=engine_env())


@nox.session(default=False)
def provision(session: nox.Session) -> None:
    """Install and start a Docker engine and make the base images (root; works air-gapped)."""
    session.run("bash", "conf/provision.sh", *(session.posargs or ["all"]), external=True)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff, mypy (strict, on the verifier), hadolint on every Dockerfile, the template's
    Apptainer definition files, and the workflows against GitHub's schema and zizmor."""
    install(session, "lint")  # the project too: mypy checks it against its dependencies
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("mypy")
    # The seed-style recipe keeps its defects on purpose; its waivers name each one.
    dockerfiles = [
        "docker-practice/Dockerfile",
        "docker-practice/build/Dockerfile.cpu",
        "docker-practice/build/Dockerfile.editor",
        "docker-practice/.devcontainer/Dockerfile",
        "bench/seed-style.Dockerfile",
    ]
    session.run("hadolint", *dockerfiles)
    # The template's Apptainer definition files: their shape, and shellcheck on their scripts.
    session.run("python", "conf/check_definition.py", *sorted(map(str, Path("docker-practice").rglob("*.def"))))
    # Ours, the ones the template gives readers (publish-image.yml), and the recipe for
    # another project's docs (docs/recipes/, shown on docs/adopting.md).
    found = (str(p) for d in (".github", "docker-practice/.github") for p in Path(d, "workflows").glob("*.yml"))
    workflows = [*sorted(found), "docs/recipes/verify-docs.yml"]
    if workflows:
        session.run("check-jsonschema", "--builtin-schema", "vendor.github-workflows", *workflows)
        session.run("zizmor", "--offline", *workflows)
    session.run("pre-commit", "validate-config", "docs/recipes/pre-commit-config.yaml")


@nox.session(default=False)
def docs(session: nox.Session) -> None:
    """Build the site; warnings are errors."""
    provision_missing(session, needs_browser=False, site_only=True)
    install(session, "docs")  # the charts read image_bench, whose modules import the Docker SDK; no engine
    session.run(
        "sphinx-build",
        "-n",  # nitpicky: every cross-reference must resolve
        "-W",  # warnings are errors
        "--keep-going",  # ...but report all of them before failing
        "-b", "html",
        "docs", "build/docs/html",
        *session.posargs,
    )  # fmt: skip


@nox.session(name="docs-live", default=False)
def docs_live(session: nox.Session) -> None:
    """Serve the site and rebuild on every edit."""
    provision_missing(session, needs_browser=False, site_only=True)
    install(session, "docs")
    session.run("sphinx-autobuild", "docs", "build/docs/html", "--host", "127.0.0.1", *session.posargs)


@nox.session(default=False)
def linkcheck(session: nox.Session) -> None:
    """Check every external link of the site (needs the network)."""
    provision_missing(session, needs_browser=False, site_only=True)
    install(session, "docs")
    session.run("sphinx-build", "-b", "linkcheck", "docs", "build/docs/linkcheck", *session.posargs)
