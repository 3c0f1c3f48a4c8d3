#!/usr/bin/env bash
# Installs what shelfwise needs and is missing, and caches it: the Python virtualenv (.venv), the Kafka broker
# jars and Spark's extra jars (Maven Central), and the MinIO server (built with `go install`).
# Safe to run again: every step checks a stamp and does nothing when it is up to date.
#   infra/install.sh [python|jars|minio|browser|all]     (default: all; `make test` adds browser)
set -euo pipefail
cd "$(dirname "$0")/.."

CACHE="${SHELFWISE_CACHE_DIR:-$HOME/.cache/shelfwise}"
MINIO_VERSION="v0.0.0-20260212201848-7aac2a2c5b7c"   # github.com/minio/minio, pinned pseudo-version
UV_VERSION="0.13.9"
mkdir -p "$CACHE"

say() { printf '\033[1m[install]\033[0m %s\n' "$*"; }
die() { printf '\033[31m[install] %s\033[0m\n' "$*" >&2; exit 1; }
hash_of() { sha256sum "$@" | sha256sum | cut -c1-16; }

apt_install() {  # apt_install PACKAGE... : only when root and apt is there; otherwise say what to do.
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing $* with apt-get"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@") >/dev/null \
      || die "apt-get install $* failed; install it by hand and run again"
  else
    die "missing: $*. Install it (e.g. 'sudo apt-get install $*') and run again."
  fi
}

need_tools() {
  command -v python3 >/dev/null || apt_install python3 python3-venv
  python3 -c 'import sys; sys.exit(not ((3, 11) <= sys.version_info[:2] < (3, 13)))' \
    || die "python3 is $(python3 -V 2>&1); shelfwise needs Python 3.11 or 3.12"
  command -v java >/dev/null || apt_install openjdk-17-jdk-headless
  java_major=$(java -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/{print $2}')
  [ "${java_major%%.*}" -ge 17 ] || die "java is version $java_major; Kafka 4 and Spark 4 need Java 17+"
  command -v mvn >/dev/null || apt_install maven
  command -v dot >/dev/null || apt_install graphviz  # lays out the lineage picture
  # MLlib's netlib loads the system BLAS and LAPACK; without them each training job prints a JNI error line
  # and falls back to slower Java routines. Optional: installed when we can, named when we cannot.
  if ! { ldconfig -p | grep -q 'libblas\.so\.3 ' && ldconfig -p | grep -q 'liblapack\.so\.3 '; }; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then apt_install libblas3 liblapack3
    else say "optional: 'sudo apt-get install libblas3 liblapack3' quiets and speeds up MLlib"; fi
  fi
}

install_python() {
  local stamp=.venv/.installed want
  want=$(hash_of pyproject.toml constraints.txt)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then return; fi
  say "python: creating .venv (first run ~1-4 min; later runs reuse the uv cache)"
  [ -x .venv/bin/python ] || python3 -m venv .venv
  .venv/bin/python -m pip install -q "uv==$UV_VERSION"
  # Bytecode now, once: on machines that set PYTHONDONTWRITEBYTECODE every task process would otherwise
  # recompile Great Expectations, Airflow and pyspark from source on import (seconds each time).
  VIRTUAL_ENV="$PWD/.venv" .venv/bin/uv pip install -q --compile-bytecode -c constraints.txt -e '.[dev]'
  .venv/bin/python - <<'PY' || die "pyspark's Python and Java sides disagree (pyspark-client overwrote pyspark?)"
import pyspark, pathlib, sys
jars = {p.name for p in (pathlib.Path(pyspark.__file__).parent / "jars").glob("spark-core_*.jar")}
sys.exit(0 if any(pyspark.__version__ in j for j in jars) else 1)
PY
  echo "$want" > "$stamp"
}

mvn_copy() {  # mvn_copy POM DEST : resolve a pom's runtime jars into DEST, once per pom content.
  local pom=$1 dest=$2 want
  want=$(hash_of "$pom")
  if [ -f "$dest/.stamp" ] && [ "$(cat "$dest/.stamp")" = "$want" ]; then return; fi
  say "jars: resolving $pom from Maven Central into $dest"
  rm -rf "$dest" && mkdir -p "$dest"
  mvn -q -B -f "$pom" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$dest" \
    || die "mvn could not resolve $pom (see output above)"
  echo "$want" > "$dest/.stamp"
}

install_jars() {
  mvn_copy infra/kafka/pom.xml "$CACHE/kafka/libs"
  mvn_copy infra/spark/pom.xml "$CACHE/spark-jars"
}

install_minio() {
  local dest="$CACHE/minio/$MINIO_VERSION"
  [ -x "$dest/minio" ] && return
  command -v go >/dev/null || apt_install golang-go
  say "minio: building github.com/minio/minio@$MINIO_VERSION with go install (first run ~3-5 min)"
  mkdir -p "$dest"
  GOTOOLCHAIN=auto GOFLAGS=-buildvcs=false GOBIN="$dest" go install "github.com/minio/minio@$MINIO_VERSION" \
    || die "go install of minio failed (see output above)"
}

install_browser() {  # headless Chromium for the tests that open Data Docs and the HTML report
  command -v chromium >/dev/null && return
  apt_install chromium fonts-dejavu-core
}

step=${1:-all}
need_tools
case "$step" in
  python) install_python ;;
  jars) install_jars ;;
  minio) install_minio ;;
  browser) install_browser ;;
  all) install_python; install_jars; install_minio ;;
  *) die "unknown step '$step' (python|jars|minio|browser|all)" ;;
esac
