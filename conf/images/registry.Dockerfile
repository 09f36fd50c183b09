# A stand-in for Docker Hub's registry image where no registry can be pulled from:
# the same program (the CNCF distribution registry), from Debian's package,
# with the official image's config, port, storage volume and command (registry:3
# reads /etc/distribution/config.yml; Debian's package may be an older release).
# conf/provision.sh passes the Debian image (conf/facts.py's DEBIAN_IMAGE).
ARG DEBIAN_IMAGE
FROM ${DEBIAN_IMAGE}
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install --yes --no-install-recommends docker-registry \
 && rm -rf /var/lib/apt/lists/*
COPY registry-config.yml /etc/distribution/config.yml
VOLUME ["/var/lib/registry"]
EXPOSE 5000
ENTRYPOINT ["docker-registry"]
CMD ["serve", "/etc/distribution/config.yml"]
