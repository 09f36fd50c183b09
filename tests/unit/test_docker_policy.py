"""A pull's tag is the run's only when the pull made it; read from the answer the engine streams."""

from verify_tutorial.engines.docker.journal import Recorded
from verify_tutorial.engines.docker.policy import _PULLED, _Watch


def feed(*pieces: bytes) -> Recorded:
    recorded = Recorded()
    watch = _Watch(recorded, "explicit_tags", _PULLED)
    for piece in pieces:
        watch.feed(piece)
    return recorded


def test_a_pull_that_downloaded_makes_the_tag_the_runs():
    answer = (
        b'{"status":"Pulling from lab/docker_practice_cpu","id":"v1"}\r\n'
        b'{"status":"Digest: sha256:b3e0"}\r\n'
        b'{"status":"Status: Downloaded newer image for 127.0.0.1:5000/lab/docker_practice_cpu:v1"}\r\n'
    )
    assert feed(answer).explicit_tags == {"127.0.0.1:5000/lab/docker_practice_cpu:v1"}


def test_a_pull_of_what_was_there_already_makes_nothing_the_runs():
    answer = b'{"status":"Status: Image is up to date for 127.0.0.1:5000/lab/docker_practice_cpu:v1"}\r\n'
    assert feed(answer).explicit_tags == set()


def test_the_status_line_split_across_pieces_is_still_found():
    line = b'{"status":"Status: Downloaded newer image for debian:trixie"}\r\n'
    assert feed(line[:30], line[30:55], line[55:]).explicit_tags == {"debian:trixie"}


def test_a_name_without_a_tag_is_never_recorded():
    assert feed(b'{"status":"Status: Downloaded newer image for ubuntu"}\r\n').explicit_tags == set()
