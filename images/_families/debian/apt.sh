# Shared by the debian and ubuntu families (sourced, POSIX sh). Environments run hardened: all
# capabilities dropped but the few dpkg needs, no-new-privileges, so apt must never switch to its
# `_apt` sandbox user.
set -eu
export DEBIAN_FRONTEND=noninteractive

SUPPORT_TOOLS='ca-certificates vim-tiny curl procps less strace sudo'

apt_configure() {
  printf '%s\n' \
    'APT::Sandbox::User "root";' \
    'APT::Install-Recommends "false";' \
    'APT::Install-Suggests "false";' \
    'Acquire::Retries "5";' \
    'Acquire::http::Timeout "30";' \
    'Acquire::Languages "none";' \
    'Dpkg::Use-Pty "false";' \
    > /etc/apt/apt.conf.d/90repro
  # No fsync per file (the container is throwaway) and no docs: dpkg unpacks much faster.
  printf '%s\n' 'force-unsafe-io' \
    'path-exclude=/usr/share/doc/*' 'path-include=/usr/share/doc/*/copyright' \
    'path-exclude=/usr/share/man/*' 'path-exclude=/usr/share/info/*' \
    > /etc/dpkg/dpkg.cfg.d/90repro
  # Some postinst scripts (openjdk) expect this directory.
  mkdir -p /usr/share/man/man1
  # Ubuntu's images remove docs and man pages with a dpkg filter of their own; ours is enough.
  rm -f /etc/dpkg/dpkg.cfg.d/excludes
}

# apt_sources MIRROR SUITE COMPONENTS [SECURITY_MIRROR SECURITY_SUITE]
apt_sources() {
  {
    echo "deb $1 $2 $3"
    echo "deb $1 $2-updates $3"
    if [ -n "${4:-}" ]; then echo "deb $4 $5 $3"; fi
  } > /etc/apt/sources.list
  rm -f /etc/apt/sources.list.d/*
}

apt_install() {
  [ "$#" -gt 0 ] || return 0
  apt-get update -q
  apt-get install -y -q -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "$@"
  # Package lists stay in the image: a provision's `apt-get update` then only revalidates them.
  apt-get clean
}

support_user() {
  id repro >/dev/null 2>&1 || useradd --create-home --shell /bin/bash --groups "$1" repro
  echo 'repro ALL=(ALL) NOPASSWD:ALL' > /etc/sudoers.d/repro
  chmod 0440 /etc/sudoers.d/repro
}
