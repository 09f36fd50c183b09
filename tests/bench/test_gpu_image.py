"""image_bench.gpu_image: the claims about the GPU image, judged from what the probe found.
The probe's answers here are what it printed in the real image (and in the CPU image)."""

from __future__ import annotations

import pytest
from conftest import ROOT

from image_bench.gpu_image import EXIT_NO_GPU, checks

NO_DRIVER = "jaxlib/cuda/versions_helpers.cc:135: operation cuInit(0) failed: Unknown CUDA error 303"
GPU_IMAGE_WITHOUT_GPU = {
    "distributions": ["jax-cuda12-pjrt 0.12.0.1", "jax-cuda12-plugin 0.12.0.1"],
    "entry_points": ["xla_cuda12 = jax_plugins.xla_cuda12"],
    "jax": "0.12.0.1",
    "default_backend": "cpu",
    "cuda_devices": 0,
    "cuda_error": "Unknown backend cuda. Available backends are ['cpu']",
    "loaded_by_jax": ["jax_plugins.xla_cuda12"],
    "init_errors": {"jax_plugins.xla_cuda12": NO_DRIVER},
}
CPU_IMAGE = {
    "distributions": [],
    "entry_points": [],
    "jax": "0.12.0.1",
    "default_backend": "cpu",
    "cuda_devices": 0,
    "cuda_error": "Unknown backend cuda. Available backends are ['cpu']",
    "loaded_by_jax": [],
    "init_errors": {},
}
NO_GPU_OUTPUT = [
    "JAX 0.12.0.1 imported.",
    "No CUDA GPU visible; computing on the CPU.",
    "jnp.ones(3).sum() = 3.0 on cpu",
]


def judged(plugin: dict, exit_status: int = EXIT_NO_GPU, output: list[str] = NO_GPU_OUTPUT) -> list[tuple[bool, str]]:
    found = {"image": "x", "plugin": plugin, "example": {"exit": exit_status, "output": output}}
    return [(c.passed, c.detail) for c in checks(found)]


def test_the_gpu_image_on_a_machine_without_a_gpu_passes_and_says_why():
    (plugin, example) = judged(GPU_IMAGE_WITHOUT_GPU)
    assert plugin == (
        True,
        "jax-cuda12-pjrt 0.12.0.1, jax-cuda12-plugin 0.12.0.1; entry point xla_cuda12 = jax_plugins.xla_cuda12; "
        f"no GPU here, and JAX says so: jax_plugins.xla_cuda12.initialize() failed: {NO_DRIVER}",
    )
    assert example == (True, "exit 3: No CUDA GPU visible; computing on the CPU.")


def test_on_a_gpu_the_plugin_check_passes_with_the_backend_up():
    up = {**GPU_IMAGE_WITHOUT_GPU, "cuda_devices": 2, "init_errors": {}, "default_backend": "gpu"}
    ((passed, detail), _) = judged(up)
    assert passed and detail.endswith("the cuda backend is up with 2 device(s)")


def test_a_cpu_only_install_is_not_taken_for_a_missing_gpu():
    ((passed, detail), _) = judged(CPU_IMAGE)
    assert not passed
    assert detail.startswith("no jax-cuda plugin installed; entry point missing; no cuda backend")


@pytest.mark.parametrize(
    "broken",
    [
        {"entry_points": []},  # installed, but JAX would never look for it
        {"loaded_by_jax": [], "init_errors": {}},  # registered, but JAX did not load it (an import error, say)
        {"init_errors": {}},  # loaded, yet neither up nor failed: nothing says JAX tried it
    ],
)
def test_a_plugin_jax_does_not_find_and_try_fails(broken):
    ((passed, _), _) = judged({**GPU_IMAGE_WITHOUT_GPU, **broken})
    assert not passed


@pytest.mark.parametrize(
    ("exit_status", "output"),
    [(4, ["JAX is not importable: No module named 'jax'"]), (0, ["CUDA GPU visible: 1 device(s), first is H200."])],
)
def test_example_must_exit_3(exit_status, output):
    (_, (passed, detail)) = judged(GPU_IMAGE_WITHOUT_GPU, exit_status, output)
    assert not passed and detail == f"exit {exit_status}: {output[0]}"


def test_exit_3_is_example_py_s_no_gpu_status():
    assert f"EXIT_NO_GPU = {EXIT_NO_GPU}" in (ROOT / "docker-practice" / "src" / "example.py").read_text()
