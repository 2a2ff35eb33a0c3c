# Shared by the rhel family's scripts (sourced, POSIX sh): dnf where it exists (8 and later), yum on 7.
set -eu
if command -v dnf >/dev/null 2>&1; then PM=dnf; else PM=yum; fi

pm_install() {
  [ "$#" -gt 0 ] || return 0
  if [ "$PM" = dnf ]; then
    dnf install -y -q --setopt=install_weak_deps=False --setopt=tsflags=nodocs "$@"
  else
    yum install -y -q --setopt=tsflags=nodocs "$@"
  fi
  # Metadata stays in the image, as apt's lists do: a provision's install starts from it.
}
