#!/usr/bin/env bash
# Installs the Debian packages the tests and benchmarks use, when running as root and they are missing.
# Without root it says what is missing; the tests that need a missing tool skip with that reason.
set -uo pipefail
need=()
have() { command -v "$1" >/dev/null 2>&1; }
have iptables   || need+=(iptables)
have ip         || need+=(iproute2)
have prometheus || need+=(prometheus)
have chromium   || need+=(chromium)
have haproxy    || need+=(haproxy)
have nginx      || need+=(nginx-light)
have wrk        || need+=(wrk)
have h2load     || need+=(nghttp2-client)
have openssl    || need+=(openssl)
have curl       || need+=(curl)
# setpriv and unshare (the pod runner of test/fixtures/pod-runner.ts) come with util-linux, which Debian always has.
have tcpdump    || need+=(tcpdump)
have tmux       || need+=(tmux)
# Raw HTTP/2 frames for the abuse tests (test/fixtures/h2-abuse.py), for Debian's own python3.
/usr/bin/python3 -c 'import h2, hyperframe, hpack' >/dev/null 2>&1 || need+=(python3-h2)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "install-system-deps: not root; missing: ${need[*]} (apt-get install -y ${need[*]})"
  exit 1
fi
echo "install-system-deps: installing ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
