#!/usr/bin/env bash
# Install Apptainer natively and unprivileged on Debian 12, as root:
#
#   bash conf/apptainer.sh     APPTAINER_PREFIX/bin/apptainer (conf/facts.py's)
#
# Debian 12 has no apptainer, and Debian unstable's needs a newer glibc than
# Debian 12's. So unstable's apptainer, with the libc6, libseccomp2 and
# libsqlite3-0 it runs on (APPTAINER_PACKAGES), is fetched with an apt state of
# its own (the host's apt state and libc are not touched), unpacked with dpkg -x
# into APPTAINER_PREFIX, and its two programs (apptainer, starter) are patched
# to load the unpacked ld.so and libraries. Nothing is setuid: it runs through
# user namespaces, and --fakeroot through the caller's /etc/subuid and
# /etc/subgid ranges (useradd gives an account those).
#
# Skipped when APPTAINER_PREFIX holds a working install (its .installed lists
# the packages in it). The install appears whole or not at all: it is made in
# a scratch folder and renamed into place.
set -euo pipefail

say() { printf 'apptainer: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

# The prefix, suite, mirror and packages are conf/facts.py's (APPTAINER_PREFIX, ...);
# those it lists as OVERRIDABLE take the caller's environment variable of that name.
command -v python3 >/dev/null || die "no python3, which reads conf/facts.py: apt-get install python3"
facts=$(python3 "$(dirname "$0")/facts.py")
eval "$facts"

PREFIX=$APPTAINER_PREFIX
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg

installed() { [ -f "$PREFIX/.installed" ] && "$PREFIX/bin/apptainer" --version >/dev/null 2>&1; }

if installed; then
  say "present in $PREFIX: $("$PREFIX/bin/apptainer" --version) ($(paste -sd, "$PREFIX/.installed"))"
  exit 0
fi
[ "$(id -u)" = 0 ] || die "Apptainer is installed as root: sudo bash conf/apptainer.sh"
# Something there that does not run is not ours to replace.
[ ! -e "$PREFIX" ] || die "$PREFIX exists but holds no working Apptainer: remove it (rm -rf $PREFIX), then rerun"
command -v apt-get >/dev/null || die "no apt-get: this installs Debian's packages"

# The helpers Apptainer runs (squashfuse for SIF images, fuse2fs for ext3 overlays,
# fuse-overlayfs, newuidmap for --fakeroot) are Debian 12's own, installed as usual,
# as is what unpacks and patches it (patchelf, gcc for offsetpreload.so).
missing=()
for package in "${APPTAINER_HOST_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'ok installed' || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing Debian's ${missing[*]} (about 20 s)"
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi
[ -s "$KEYRING" ] || die "no $KEYRING to check $CURRENT_SUITE's packages with: apt-get install debian-archive-keyring"

# Beside the prefix, so that the last step is one rename on one filesystem; and
# readable by all, whatever root's umask, since every user runs what lands there.
umask 022
mkdir -p "$(dirname "$PREFIX")"
work=$(mktemp -d "$(dirname "$PREFIX")/.apptainer-native.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial" "$work/archives/partial" "$work/root" "$work/src"
cat >"$work/suite.sources" <<EOF
Types: deb deb-src
URIs: $DEBIAN_MIRROR
Suites: $CURRENT_SUITE
Components: main
Signed-By: $KEYRING
EOF
# apt with nothing of the host's but its keyring: its own sources, lists and archives.
apt=(apt-get -qq -o "Dir::Etc::sourcelist=$work/suite.sources" -o Dir::Etc::sourceparts=/dev/null
     -o "Dir::State::Lists=$work/lists" -o "Dir::Cache::archives=$work/archives"
     -o Acquire::Check-Valid-Until=false -o APT::Get::List-Cleanup=false
     -o APT::Sandbox::User=root)
failed() { tail -n 20 "$work/apt.log" >&2; die "$1"; }
say "fetching ${APPTAINER_PACKAGES[*]} and apptainer's source from Debian's $CURRENT_SUITE (about 5 s)"
"${apt[@]}" update >"$work/apt.log" 2>&1 || failed "apt-get update of $CURRENT_SUITE failed"
(cd "$work/archives" && "${apt[@]}" download "${APPTAINER_PACKAGES[@]}") >>"$work/apt.log" 2>&1 \
  || failed "downloading ${APPTAINER_PACKAGES[*]} failed"
# Only for tools/offsetpreload.c (below).
(cd "$work/src" && "${apt[@]}" source --download-only apptainer) >>"$work/apt.log" 2>&1 \
  || failed "downloading apptainer's source failed"

root=$work/root
for deb in "$work"/archives/*.deb; do
  dpkg -x "$deb" "$root"
  # shellcheck disable=SC2016  # dpkg-deb's fields, not the shell's
  dpkg-deb --show --showformat='${Package} ${Version}\n' "$deb" >>"$work/packages"
done
lib=$root/usr/lib/x86_64-linux-gnu       # where libc6 and the others land (merged /usr)
final=$PREFIX/usr/lib/x86_64-linux-gnu   # the same folder once in place
if [ ! -x "$root/usr/bin/apptainer" ] || [ ! -x "$lib/ld-linux-x86-64.so.2" ]; then
  die "unexpected layout of $CURRENT_SUITE's packages (no usr/bin/apptainer or ld-linux-x86-64.so.2)"
fi

# Apptainer 1.4 is relocatable when not setuid: the Debian build (prefix /usr) looks,
# relative to its binary, for PREFIX/usr/etc/apptainer and PREFIX/usr/var/lib/apptainer.
# The starter reckons its prefix one level too high (PREFIX/usr/lib), hence the links
# usr/lib/{etc,var,lib}. The rest of the packages' /etc, docs and man pages go.
mkdir -p "$root/usr/etc"
mv "$root/etc/apptainer" "$root/usr/etc/apptainer"
rm -rf "${root:?}/etc" "$root/usr/share/doc" "$root/usr/share/man" "$root/usr/share/lintian"
mkdir -p "$root/usr/var/lib/apptainer/mnt/session" "$root/bin"
ln -s ../etc "$root/usr/lib/etc"
ln -s ../var "$root/usr/lib/var"
ln -s . "$root/usr/lib/lib"
ln -s ../usr/bin/apptainer "$root/bin/apptainer"

# The unpacked ld.so, and a DT_RPATH to the unpacked libraries: RPATH, not RUNPATH,
# so that the libraries' own dependencies (libsqlite3 -> libm) are found there too.
say "patching the ELF interpreter and RPATH of its programs"
while IFS= read -r program; do
  if readelf -l "$program" 2>/dev/null | grep -q 'program interpreter'; then
    patchelf --remove-rpath "$program"
    patchelf --set-interpreter "$final/ld-linux-x86-64.so.2" --force-rpath --set-rpath "$final" "$program"
  fi
done < <(find "$root/usr/bin" "$lib/apptainer/bin" -type f)
for library in "$lib"/libseccomp.so.2.* "$lib"/libsqlite3.so.3.* "$lib"/libsqlite3.so.0.*; do
  [ -f "$library" ] && patchelf --force-rpath --set-rpath "$final" "$library"
done

# offsetpreload.so is LD_PRELOADed into the host's fuse2fs (for overlays embedded in a
# SIF), so it must link against the host's glibc, not the unpacked one: built here.
say "building offsetpreload.so against the host's glibc"
tar -xzf "$work"/src/apptainer_*.orig.tar.gz -C "$work/src" --wildcards '*/tools/offsetpreload.c'
gcc -O2 -fPIC -shared -o "$lib/apptainer/lib/offsetpreload.so" "$work"/src/*/tools/offsetpreload.c -ldl

cp "$work/packages" "$root/.installed"
mkdir -p "$(dirname "$PREFIX")"
mv -T "$root" "$PREFIX"  # the folder appears by one rename

# Every patched program's libraries resolve inside PREFIX, and it runs; else it goes again.
for program in "$PREFIX/usr/bin/apptainer" "$final/apptainer/bin/starter"; do
  if ! resolved=$("$final/ld-linux-x86-64.so.2" --list "$program" 2>&1) \
     || grep -E 'not found|=> /(usr/)?lib/' <<<"$resolved" >&2; then
    rm -rf "$PREFIX"
    die "$program does not load only the libraries in $PREFIX (above); removed $PREFIX"
  fi
done
installed || { rm -rf "$PREFIX"; die "$PREFIX/bin/apptainer --version failed; removed $PREFIX"; }
say "installed in $PREFIX: $("$PREFIX/bin/apptainer" --version) ($(paste -sd, "$PREFIX/.installed"))"
say "--fakeroot needs the user's range in /etc/subuid and /etc/subgid (useradd adds one)"
