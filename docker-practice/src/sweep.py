"""One point of a parameter sweep: scale the numbers in DATA/numbers.txt, sum
them with JAX, and write the result to RESULTS/scale-VALUE.txt.

A Slurm job array runs it once per value (slurm/sweep.sbatch). It also says
how many of its compilations came from JAX's persistent compilation cache,
which the job script puts on scratch (JAX_COMPILATION_CACHE_DIR), so that
later jobs reuse what earlier ones compiled.
"""

import argparse
from pathlib import Path


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, required=True, help="the swept parameter")
    parser.add_argument("--data", type=Path, default=Path("/data"), help="folder with numbers.txt (read only)")
    parser.add_argument("--results", type=Path, default=Path("/results"), help="folder the result goes to")
    args = parser.parse_args(argv)

    import jax
    import jax.numpy as jnp
    from jax import monitoring

    events = []
    monitoring.register_event_listener(lambda name, **_: events.append(name))

    numbers = jnp.array([float(line) for line in (args.data / "numbers.txt").read_text().split()])
    total = jax.jit(lambda scale, x: (scale * x).sum())(args.scale, numbers)

    result = args.results / f"scale-{args.scale:g}.txt"
    result.write_text(f"{float(total):g}\n")
    hits = events.count("/jax/compilation_cache/cache_hits")
    misses = events.count("/jax/compilation_cache/cache_misses")
    print(f"scale {args.scale:g}: sum {float(total):g}, written to {result}")
    print(f"compilations: {hits} from the cache, {misses} compiled")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
