"""Which names a command creates, so a taken one stops the run before it starts."""

from verify_tutorial.engines.docker.names import names_used


def test_run_name_and_build_tag():
    assert names_used('docker run -dt -v "$PWD":/w --name dp img:1 bash') == {("container", "dp")}
    assert names_used("docker build --tag docker_practice_cpu -f x .") == {("image", "docker_practice_cpu:latest")}
    assert names_used("docker build -t a:2 .") == {("image", "a:2")}


def test_network_and_volume_create():
    assert names_used("docker network create lab") == {("network", "lab")}
    assert names_used("docker volume create --driver local data") == {("volume", "data")}


def test_exec_and_ps_create_nothing():
    assert names_used("docker exec dp python src/example.py") == set()
    assert names_used("docker ps --filter name=dp") == set()


def test_tag_targets_and_created_containers_are_names_the_page_creates():
    assert names_used("docker tag debian:trixie-slim mine") == {("image", "mine:latest")}
    assert names_used("docker image tag a b:2") == {("image", "b:2")}
    assert names_used("docker create --name box debian:trixie-slim") == {("container", "box")}
