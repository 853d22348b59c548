# Sourced by scripts/test.sh and scripts/demo.sh (bash).
# apt_get ARGS...: apt-get, quiet and non-interactive, waiting up to 10
# minutes while another program holds apt's locks: DPkg::Lock::Timeout
# covers dpkg's lock; the package lists' lock (apt-get update) has no such
# option, so a refusal for that lock is retried.
apt_get() {
  local log waited=0
  log=$(mktemp)
  until LC_ALL=C DEBIAN_FRONTEND=noninteractive \
        apt-get -o DPkg::Lock::Timeout=600 -qq "$@" >"$log" 2>&1; do
    if ! grep -q '^E: Could not get lock' "$log" || [ $waited -ge 600 ]; then
      cat "$log" >&2
      rm -f "$log"
      return 1
    fi
    [ $waited -eq 0 ] && echo "   another program holds apt's lock: waiting (up to 10 minutes)"
    sleep 10
    waited=$((waited + 10))
  done
  rm -f "$log"
}
