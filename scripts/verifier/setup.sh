#!/bin/sh
# Prepares everything `npm run test:verifier` needs, and is cheap to run again:
#   - Debian packages: clang-19, llvm-19, bpftool, and libbpf-dev 1.4 or newer
#     (bookworm ships 1.1, so it comes from bookworm-backports);
#   - .cache/verifier/vmlinux.h, dumped from this kernel's BTF;
#   - .cache/verifier/loader, our libbpf program loader (scripts/verifier/loader.c).
# Installing needs root; without root, missing packages are named and we stop.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
cache="$repo/.cache/verifier"
mkdir -p "$cache"

say() { printf 'verifier setup: %s\n' "$*" >&2; }
is_root() { [ "$(id -u)" = 0 ]; }
installed_version() { dpkg-query -W -f='${Status} ${Version}\n' "$1" 2>/dev/null | sed -n 's/^install ok installed //p'; }

# --- packages ---------------------------------------------------------------
missing=""
for pkg in clang-19 llvm-19 bpftool; do
  [ -n "$(installed_version "$pkg")" ] || missing="$missing $pkg"
done
libbpf_ok=no
v=$(installed_version libbpf-dev)
if [ -n "$v" ] && dpkg --compare-versions "$v" ge 1:1.4; then libbpf_ok=yes; fi

if [ -n "$missing" ] || [ "$libbpf_ok" = no ]; then
  wanted="$missing"
  [ "$libbpf_ok" = yes ] || wanted="$wanted libbpf-dev(>=1.4, bookworm-backports)"
  if ! is_root; then
    say "missing packages:$wanted"
    say "run this script as root once to install them (apt-get), or install them yourself."
    exit 1
  fi
  if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
    say "adding the bookworm-backports apt source"
    cat > /etc/apt/sources.list.d/bookworm-backports.sources <<'SRC'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  fi
  say "installing:$wanted"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  [ -z "$missing" ] || apt-get install -y -q --no-install-recommends $missing
  [ "$libbpf_ok" = yes ] || apt-get install -y -q --no-install-recommends -t bookworm-backports libbpf-dev
fi

# Debian puts bpftool in /usr/sbin, which is not always on PATH.
bpftool=$(command -v bpftool || true)
[ -n "$bpftool" ] || bpftool=/usr/sbin/bpftool
[ -x "$bpftool" ] || { say "bpftool is installed but not found at /usr/sbin/bpftool"; exit 1; }

# --- vmlinux.h ----------------------------------------------------------------
btf=/sys/kernel/btf/vmlinux
[ -r "$btf" ] || { say "this kernel exposes no BTF at $btf; the verifier harness needs CONFIG_DEBUG_INFO_BTF"; exit 1; }
# The stamp ties the header to the running kernel build.
stamp="$(uname -r) $(uname -v) $(wc -c < "$btf")"
if [ ! -s "$cache/vmlinux.h" ] || [ "$(cat "$cache/vmlinux.h.stamp" 2>/dev/null)" != "$stamp" ]; then
  say "dumping vmlinux.h from $btf"
  "$bpftool" btf dump file "$btf" format c > "$cache/vmlinux.h.tmp"
  mv "$cache/vmlinux.h.tmp" "$cache/vmlinux.h"
  printf '%s\n' "$stamp" > "$cache/vmlinux.h.stamp"
fi

# <errno.h> and friends pull in gnu/stubs.h, which has no BPF flavour; an empty one is enough.
mkdir -p "$cache/include/gnu"
[ -f "$cache/include/gnu/stubs.h" ] || : > "$cache/include/gnu/stubs.h"

# --- loader -----------------------------------------------------------------
cc=${CC:-}
[ -n "$cc" ] || cc=$(command -v cc || command -v gcc || command -v clang-19)
if [ ! -x "$cache/loader" ] || [ "$here/loader.c" -nt "$cache/loader" ] || [ "$0" -nt "$cache/loader" ]; then
  say "building the loader with $cc"
  "$cc" -O2 -g -Wall -Wextra -o "$cache/loader.tmp" "$here/loader.c" -lbpf -lelf -lz
  mv "$cache/loader.tmp" "$cache/loader"
fi

say "ready: $(clang-19 --version | head -n1); libbpf-dev $(installed_version libbpf-dev); $("$bpftool" --version | head -n1); kernel $(uname -r)"
