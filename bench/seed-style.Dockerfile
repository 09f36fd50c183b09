# The recipe the original guide taught, rebuilt on our base and our pins so
# that only the recipe differs when the bench compares it with the template.
# Kept as the seed had it on purpose:
#   - the lock is COPYed first, so any change to it re-runs every step below;
#   - a compiler toolchain and a system-wide pip are installed;
#   - the apt "cache mount" stays empty, because Debian's docker-clean hook
#     deletes the downloads it was meant to keep;
#   - pip's download cache lands in the layer, and `rm` of the copied lock
#     frees nothing (the COPY layer still holds it).
# Changed only where it could not build here: no `# syntax=` line (it pulls a
# frontend image from a registry), and --break-system-packages, which newer
# Debian needs before pip writes into the system Python (PEP 668).
ARG BASE_IMAGE=debian:trixie-slim
FROM ${BASE_IMAGE}
ARG LOCK=build/requirements.txt

COPY ${LOCK} /requirements.txt

WORKDIR /docker-practice
ENV PYTHONPATH=/docker-practice:/docker-practice/src

# Deliberate defects (see the top); hadolint names them, so they are waived here.
# hadolint ignore=DL3008,DL3009,DL3015
RUN --mount=type=cache,target=/var/cache/apt \
    apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install --yes \
        build-essential \
        python3-pip

# hadolint ignore=DL3042
RUN pip install --break-system-packages -r /requirements.txt \
 && rm -f /requirements.txt

CMD ["/bin/bash"]
