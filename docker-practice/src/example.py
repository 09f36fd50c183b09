"""Report whether JAX imports and whether it can see a CUDA GPU.

Exit status: 0 when JAX works (on a GPU, or on the CPU when no GPU was asked
for), 3 when --require-gpu was given but no CUDA device is visible, 4 when
JAX cannot be imported at all.
"""

import argparse
import sys

EXIT_OK = 0
EXIT_NO_GPU = 3
EXIT_NO_JAX = 4


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--require-gpu",
        action="store_true",
        help=f"exit with {EXIT_NO_GPU} unless JAX can compute on a CUDA GPU",
    )
    args = parser.parse_args(argv)

    try:
        import jax
        import jax.numpy as jnp
    except ImportError as error:
        print(f"JAX is not importable: {error}")
        return EXIT_NO_JAX
    print(f"JAX {jax.__version__} imported.")

    try:
        gpus = jax.devices("cuda")
    except RuntimeError:
        # No CUDA backend: CPU-only jaxlib, no driver, or --gpus not given.
        gpus = []
    if not gpus:
        print("No CUDA GPU visible; computing on the CPU.")
        print(f"jnp.ones(3).sum() = {jnp.ones(3).sum()} on {jax.devices()[0].platform}")
        return EXIT_NO_GPU if args.require_gpu else EXIT_OK

    # Compute on the GPU explicitly, so a silent fallback to CPU cannot pass.
    x = jax.device_put(jnp.ones(3), gpus[0])
    total = x.sum()
    (device,) = total.devices()
    print(f"CUDA GPU visible: {len(gpus)} device(s), first is {gpus[0].device_kind}.")
    print(f"jnp.ones(3).sum() = {total} on {device.platform}")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
