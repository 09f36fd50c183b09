"""The GPU image, as far as a machine without a GPU can prove it.

    python -m image_bench.gpu_image [--image TAG] [--keep]

Builds docker-practice/Dockerfile (as `make docker-build` does, its build cache
kept for the next build) under a tag of its own, or takes --image, and checks:

- JAX's CUDA plugin is installed, registered where JAX looks for plugins (the
  `jax_plugins` entry points), and loaded by JAX when it starts its backends;
  with no GPU, JAX then reports that the plugin failed to initialise, which is
  not the same as a CPU-only install where there is nothing to initialise;
- `python src/example.py --require-gpu` exits 3 (no GPU visible), not 4 (JAX
  missing) or 0.

Containers run without --gpus and without a network, so both hold on a GPU
host too. `nox -s bench -- --gpu` runs the same checks on the image it builds.
Exits 1 when a check fails, 2 when the image cannot be built or run.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

from .errors import BenchError
from .recipes import TEMPLATE
from .report import Check

EXIT_NO_GPU = 3  # docker-practice/src/example.py's status for "no CUDA GPU visible"
PROJECT = "/docker-practice"  # where the Makefile mounts the project; the image's WORKDIR

# Runs in the image: what is installed, what JAX's plugin discovery did, and the
# cuda backend's fate. JAX logs each plugin it finds at DEBUG, and a plugin whose
# initialize() raised with its exception; both are captured, not printed.
PROBE = """
import importlib.metadata as metadata, json, logging, re, sys
records = []
class Keep(logging.Handler):
    def emit(self, record):
        records.append(record)
log = logging.getLogger("jax._src.xla_bridge")
log.addHandler(Keep())
log.setLevel(logging.DEBUG)
log.propagate = False
found = {"distributions": sorted(
    f"{d.metadata['Name']} {d.version}" for d in metadata.distributions()
    if re.fullmatch(r"jax[-_]cuda\\d+[-_](plugin|pjrt)", d.metadata["Name"]))}
found["entry_points"] = sorted(f"{e.name} = {e.value}" for e in metadata.entry_points(group="jax_plugins"))
import jax
found["jax"] = jax.__version__
found["default_backend"] = jax.default_backend()
try:
    found["cuda_devices"] = len(jax.devices("cuda"))
except RuntimeError as error:
    found["cuda_devices"] = 0
    found["cuda_error"] = str(error).splitlines()[0]
found["loaded_by_jax"] = sorted(name for name in sys.modules if re.fullmatch(r"jax_plugins\\.xla_cuda\\d+", name))
found["init_errors"] = {
    name: str(r.exc_info[1]).splitlines()[0]
    for r in records if r.exc_info
    for name in found["loaded_by_jax"] if name in r.getMessage()}
print(json.dumps(found))
"""


def _run(docker: str, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([docker, *args], capture_output=True, text=True, env=env, timeout=300)


def probe(docker: str, image: str, project: Path, env: dict[str, str]) -> dict:
    """What the image says: the plugin facts, and example.py's exit status and output."""
    base = ["run", "--rm", "--network", "none"]
    done = _run(docker, env, *base, image, "python", "-c", PROBE)
    if done.returncode != 0:
        tail = " | ".join(done.stderr.strip().splitlines()[-2:])
        raise BenchError(f"the plugin probe failed in {image} (exit {done.returncode}): {tail}")
    plugin = json.loads(done.stdout.strip().splitlines()[-1])
    mount = f"{project.resolve()}:{PROJECT}:ro"
    example = _run(docker, env, *base, "--volume", mount, image, "python", "src/example.py", "--require-gpu")
    output = (example.stdout + example.stderr).strip().splitlines()
    return {"image": image, "plugin": plugin, "example": {"exit": example.returncode, "output": output}}


def checks(found: dict) -> list[Check]:
    """The two claims, from what `probe` found."""
    plugin, example = found["plugin"], found["example"]
    loaded = plugin.get("loaded_by_jax", [])
    registered = [e for e in plugin.get("entry_points", []) if any(e.endswith(f"= {m}") for m in loaded)]
    errors = plugin.get("init_errors", {})
    if plugin.get("cuda_devices"):
        state = f"the cuda backend is up with {plugin['cuda_devices']} device(s)"
    elif errors:
        state = "no GPU here, and JAX says so: " + "; ".join(f"{m}.initialize() failed: {e}" for m, e in errors.items())
    else:
        state = f"no cuda backend and no initialisation error ({plugin.get('cuda_error', 'no error')})"
    installed = ", ".join(plugin.get("distributions", [])) or "no jax-cuda plugin installed"
    found_plugin = bool(plugin.get("distributions")) and bool(registered) and (plugin.get("cuda_devices") or errors)
    lines = example["output"]
    said = next((line for line in lines if "GPU" in line), lines[-1] if lines else "no output")
    return [
        Check(
            "GPU image: JAX finds its CUDA plugin",
            bool(found_plugin),
            f"{installed}; entry point {', '.join(registered) or 'missing'}; {state}",
        ),
        Check(
            f"GPU image: example.py --require-gpu exits {EXIT_NO_GPU} without a GPU",
            example["exit"] == EXIT_NO_GPU,
            f"exit {example['exit']}: {said}",
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m image_bench.gpu_image", description=__doc__.splitlines()[0])
    parser.add_argument("--image", help="check this image instead of building one (it is kept)")
    parser.add_argument("--keep", action="store_true", help="keep the image this run builds")
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="the repository (default: the current folder)")
    args = parser.parse_args(argv)
    template = args.root.resolve() / TEMPLATE
    if not (template / "Dockerfile").is_file():
        parser.error(f"{args.root} is not the repository: run from its root, or pass --root")
    # Debian's client does BuildKit with this; see noxfile.engine_env.
    env = {**os.environ, "DOCKER_BUILDKIT": "1"}
    docker = "docker"
    image = args.image or f"image-bench-gpu-check:{secrets.token_hex(4)}"
    try:
        if not args.image:
            print(f"building {image} from {TEMPLATE}/Dockerfile (about 6 GB; the first build fetches 3.5 GB)")
            built = subprocess.run([docker, "build", "--tag", image, "."], cwd=template, env=env)
            if built.returncode != 0:
                raise BenchError(f"building {image} failed (exit {built.returncode}); its log is above")
        found = probe(docker, image, template, env)
    except (BenchError, subprocess.TimeoutExpired, OSError) as error:
        print(f"gpu-image: {error}", file=sys.stderr)
        return 2
    finally:
        if not args.image and not args.keep:
            _run(docker, env, "image", "rm", image)
    results = checks(found)
    for check in results:
        print(f"{'PASS' if check.passed else 'FAIL'}  {check.claim}: {check.detail}")
    return 0 if all(c.passed for c in results) else 1


if __name__ == "__main__":
    sys.exit(main())
