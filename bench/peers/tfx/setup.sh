#!/usr/bin/env bash
# Set up the TFX 1.16 peer: a Python 3.10 venv OUTSIDE the repository with tfx==1.16.0 and
# its full dependency set pinned by constraints.txt beside this script, so pip never
# backtracks and every machine gets the same versions. TFX is never a dependency of tfxkit;
# this venv exists only to run bench/peers/tfx/penguin_pipeline.py for the side-by-side
# comparison (bench/peers/README.md).
#
#   bench/peers/tfx/setup.sh                 create or reuse the venv; prints its python
#   bench/peers/tfx/setup.sh --print-python  print the venv's python if set up (exit 1 if not)
#   bench/peers/tfx/setup.sh --refreeze      maintainers: resolve tfx==1.16.0 afresh (with uv,
#                                            tfxkit's pins for the shared stack), rewrite
#                                            constraints.txt, then install with it
#
# Environment:
#   PEER_PYTHON       the Python 3.10 (or 3.9) to build the venv from; default: pyenv's 3.10
#   TFXKIT_PEER_HOME  where peer venvs live; default: $HOME/.cache/tfxkit-peers
#                     (this venv: $TFXKIT_PEER_HOME/tfx-1.16)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../../.." && pwd)"
CONSTRAINTS="$HERE/constraints.txt"
TFX_REQUIREMENT="tfx==1.16.0"
PEER_HOME="${TFXKIT_PEER_HOME:-$HOME/.cache/tfxkit-peers}"
VENV="$PEER_HOME/tfx-1.16"
STAMP="$VENV/.tfxkit-peer-installed"
MODE="${1:-install}"
# Libraries tfxkit shares with TFX: --refreeze holds them at tfxkit's pins (REPO/constraints.txt).
SHARED_STACK="apache-beam|tensorflow|tf[-_]keras|tensorflow-data-validation|tensorflow-transform"
SHARED_STACK+="|tensorflow[-_]model[-_]analysis|tfx-bsl|ml-metadata|tensorflow-metadata"
SHARED_STACK+="|tensorflow-serving-api|pyarrow|numpy|grpcio"

die() { echo "setup.sh: $*" >&2; exit 1; }

stamp_value() {
    # What the stamp records: the requirement and the constraints it was installed with.
    echo "$TFX_REQUIREMENT $(sha256sum "$CONSTRAINTS" | cut -d' ' -f1)"
}

case "$MODE" in
    install|--refreeze) ;;
    --print-python)
        if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$(stamp_value)" ]]; then
            echo "$VENV/bin/python"; exit 0
        fi
        die "the TFX peer is not set up at $VENV (or constraints.txt changed since). Fix: run $HERE/setup.sh" ;;
    -h|--help) sed -n '2,17p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$MODE'; expected no argument, --print-python, --refreeze or --help" ;;
esac

if [[ "$MODE" == install && -f "$STAMP" && "$(cat "$STAMP")" == "$(stamp_value)" ]]; then
    echo "setup.sh: reusing the TFX peer at $VENV" >&2
    echo "$VENV/bin/python"
    exit 0
fi

# The base interpreter: PEER_PYTHON, else pyenv's newest 3.10.
if [[ -n "${PEER_PYTHON:-}" ]]; then
    BASE_PYTHON="$PEER_PYTHON"
    [[ -x "$BASE_PYTHON" ]] || die "PEER_PYTHON=$PEER_PYTHON is not an executable file. Fix: point it at a Python 3.10 interpreter, or unset it to use pyenv's 3.10"
else
    command -v pyenv >/dev/null 2>&1 || die "TFX 1.16 needs Python 3.10 (it supports 3.9-3.10, tfxkit's venv is newer), found no pyenv on PATH to provide it. Fix: install pyenv and run 'pyenv install 3.10', or set PEER_PYTHON=/path/to/python3.10"
    PREFIX="$(pyenv prefix 3.10 2>/dev/null || true)"
    [[ -n "$PREFIX" && -x "$PREFIX/bin/python" ]] || die "TFX 1.16 needs Python 3.10 (it supports 3.9-3.10, tfxkit's venv is newer), and pyenv has none ('pyenv prefix 3.10' found nothing). Fix: run 'pyenv install 3.10', or set PEER_PYTHON=/path/to/python3.10"
    BASE_PYTHON="$PREFIX/bin/python"
fi
"$BASE_PYTHON" -c 'import sys; sys.exit(sys.version_info[:2] not in ((3, 9), (3, 10)))' \
    || die "$BASE_PYTHON is Python $("$BASE_PYTHON" -c 'import platform; print(platform.python_version())'); TFX 1.16 needs 3.9 or 3.10. Fix: 'pyenv install 3.10' or PEER_PYTHON=/path/to/python3.10"

if [[ ! -x "$VENV/bin/python" ]]; then
    echo "setup.sh: creating $VENV from $BASE_PYTHON" >&2
    mkdir -p "$PEER_HOME"
    "$BASE_PYTHON" -m venv "$VENV"
fi
rm -f "$STAMP"
PIP=("$VENV/bin/python" -m pip --no-input --disable-pip-version-check)

if [[ "$MODE" == --refreeze ]]; then
    # pip's resolver backtracks for over half an hour on tfx's google-cloud dependencies, so
    # the one-off resolution uses uv (from PyPI, in a tool venv beside the peer), holding the
    # libraries tfxkit shares with TFX at tfxkit's own pins (REPO/constraints.txt).
    TOOL="$PEER_HOME/uv-tool"
    if [[ ! -x "$TOOL/bin/uv" ]]; then
        "$BASE_PYTHON" -m venv "$TOOL"
        "$TOOL/bin/python" -m pip install --no-input --disable-pip-version-check -q uv
    fi
    WORK="$(mktemp -d)"
    trap 'rm -rf "$WORK"' EXIT
    echo "$TFX_REQUIREMENT" > "$WORK/requirements.in"
    grep -i -E "^(${SHARED_STACK})==" "$REPO/constraints.txt" > "$WORK/shared.txt" \
        || die "none of the shared stack ($SHARED_STACK) is pinned in $REPO/constraints.txt"
    echo "setup.sh: resolving $TFX_REQUIREMENT with uv, shared stack at tfxkit's pins:" $(cat "$WORK/shared.txt") >&2
    "$TOOL/bin/uv" pip compile "$WORK/requirements.in" -c "$WORK/shared.txt" \
        --python "$VENV/bin/python" --python-platform x86_64-manylinux_2_28 \
        --no-header --no-annotate --quiet -o "$WORK/resolved.txt"
    {
        sed -n '1,/^# Regenerate/p' "$CONSTRAINTS" 2>/dev/null | grep '^#' \
            || echo "# The full dependency set of $TFX_REQUIREMENT for the TFX peer venv (setup.sh --refreeze)."
        grep -E '^[A-Za-z0-9]' "$WORK/resolved.txt"
    } > "$CONSTRAINTS.new"
    mv "$CONSTRAINTS.new" "$CONSTRAINTS"
    echo "setup.sh: wrote $CONSTRAINTS ($(grep -c -E '^[A-Za-z0-9].*==' "$CONSTRAINTS") pins); installing with it" >&2
fi
[[ -f "$CONSTRAINTS" ]] || die "$CONSTRAINTS is missing. Fix: restore it from git, or run '$0 --refreeze'"
echo "setup.sh: installing $TFX_REQUIREMENT into $VENV with -c $CONSTRAINTS (about 2 GB of wheels on the first run)" >&2
"${PIP[@]}" install -c "$CONSTRAINTS" "$TFX_REQUIREMENT"

# Prove the peer imports before stamping it as ready.
TF_USE_LEGACY_KERAS=1 "$VENV/bin/python" -W ignore::FutureWarning -c '
import tfx, tensorflow as tf, tensorflow_model_analysis as tfma
from tfx import v1
assert tfx.__version__ == "1.16.0", tfx.__version__
print(f"setup.sh: TFX {tfx.__version__}, TensorFlow {tf.__version__}, TFMA {tfma.__version__}")
' >&2 || die "the peer venv at $VENV installed but does not import TFX (see above). Fix: delete $VENV and run $0 again"
stamp_value > "$STAMP"
echo "$VENV/bin/python"
