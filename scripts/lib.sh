# Shell functions shared by scripts/test, scripts/install-terraform,
# scripts/bench and scripts/release. Source it; it defines functions only
# and changes no shell option. tests/scripts.rs runs each function on
# fixtures.
#
#   hwsnap_pip_install PYTHON REQUIREMENTS [PIP-ARGS...]
#   hwsnap_requirement_version REQUIREMENTS NAME
#   hwsnap_totals LOG...
#   hwsnap_shared_dir REPO
#   hwsnap_check_advisories CARGO_DENY ADVISORY_DB_TARBALL

# hwsnap_pip_install PYTHON REQUIREMENTS [PIP-ARGS...]: install a
# requirements file whose every line is pinned by hash (pip refuses a line,
# or a dependency, without one). Packages come from the index pip is
# configured with and must match the recorded hashes; there is no local
# wheel directory to fall back on. Extra arguments (e.g. --target DIR) go
# to `pip install`.
hwsnap_pip_install() {
    local python=$1 requirements=$2
    shift 2
    if [ ! -f "$requirements" ]; then
        echo "hwsnap_pip_install: error: $requirements is missing" >&2
        return 1
    fi
    PIP_ROOT_USER_ACTION=ignore "$python" -m pip install --quiet --disable-pip-version-check \
        --require-hashes -r "$requirements" "$@"
}

# hwsnap_requirement_version REQUIREMENTS NAME: the version NAME is pinned
# to in REQUIREMENTS (`NAME==VERSION \`), so a script names a version once.
hwsnap_requirement_version() {
    local version
    version=$(sed -n "s/^$2==\([^ ;\\\\]*\).*/\1/p" "$1" | head -n 1)
    if [ -z "$version" ]; then
        echo "hwsnap_requirement_version: error: $1 pins no $2==VERSION" >&2
        return 1
    fi
    echo "$version"
}

# hwsnap_totals LOG...: "PASSED FAILED" summed over the result lines of
# cargo test (every `test result: ...` line) and pytest (the last summary
# line of each file, e.g. `3 failed, 10 passed, 1 error in 2.1s`, with or
# without `=` padding and the time; not read in a file that has cargo
# result lines). A count may end its line: `5 passed`
# and `test result: ok. 5 passed` count like the long forms. pytest errors
# count as failures.
hwsnap_totals() {
    awk '
        function count(line, word,    s) {
            s = line
            if (!match(s, "(^|[^0-9A-Za-z_])[0-9]+ " word "([^A-Za-z_]|$)")) return 0
            s = substr(s, RSTART, RLENGTH)
            sub(/^[^0-9]+/, "", s)
            return s + 0
        }
        function pytest_line(line) {
            sub(/^=+ */, "", line)
            sub(/ *=+$/, "", line)
            return line ~ /^[0-9]+ (passed|failed|errors?|skipped|xfailed|xpassed|deselected|warnings?|rerun)(, [0-9]+ [a-z]+)*( in [0-9.]+s.*)?$/
        }
        function flush() {
            if (last != "" && !cargo) {
                passed += count(last, "passed")
                failed += count(last, "failed") + count(last, "errors?")
            }
            last = ""
            cargo = 0
        }
        FNR == 1 { flush() }
        /^test result: / {
            cargo = 1
            passed += count($0, "passed")
            failed += count($0, "failed")
            next
        }
        { line = $0; sub(/\r$/, "", line) }
        pytest_line(line) { last = line }
        END { flush(); printf "%d %d\n", passed, failed }
    ' "$@"
}

# hwsnap_shared_dir REPO: the project's shared/ directory (the offline
# RustSec snapshot, the reference data), which sits beside the repository:
# REPO/../shared in CI's clone and in the main checkout, and beside the
# main checkout for a git worktree. $HWSNAP_SHARED_DIR overrides. Fails,
# naming every place it looked, when there is none.
hwsnap_shared_dir() {
    local repo=$1 candidates=() dir common
    if [ -n "${HWSNAP_SHARED_DIR:-}" ]; then
        candidates=("$HWSNAP_SHARED_DIR")
    else
        candidates=("$repo/../shared")
        common=$(git -C "$repo" rev-parse --path-format=absolute --git-common-dir 2>/dev/null || true)
        if [ -n "$common" ] && [ "$(dirname "$common")" != "$(cd "$repo" && pwd -P)" ]; then
            candidates+=("$(dirname "$common")/../shared")
        fi
    fi
    for dir in "${candidates[@]}"; do
        if [ -d "$dir/security" ]; then
            (cd "$dir" && pwd -P)
            return 0
        fi
    done
    echo "error: the project's shared/ directory (with security/advisory-db.tar.gz) is missing;" \
        "looked in: ${candidates[*]}. It sits beside the repository (CI copies it there);" \
        "set HWSNAP_SHARED_DIR to use another one." >&2
    return 1
}

# hwsnap_check_advisories CARGO_DENY TARBALL: `cargo deny --offline check
# advisories` against the RustSec snapshot in TARBALL (a one-commit git
# repository, advisory-db/), unpacked into a temp dir that deny.toml's
# db-path reads through $HWSNAP_ADVISORY_DB_PATH. Prints the snapshot's
# commit and date first; on failure, the IDs of the advisories found.
hwsnap_check_advisories() {
    local deny=$1 tarball=$2 db rc=0 out commit date
    if [ ! -f "$tarball" ]; then
        echo "error: the advisory database snapshot $tarball is missing" >&2
        return 1
    fi
    db=$(mktemp -d "${TMPDIR:-/tmp}/hwsnap-advisory-db.XXXXXX")
    if ! tar xzf "$tarball" -C "$db" || [ ! -d "$db/advisory-db/crates" ]; then
        echo "error: $tarball holds no advisory-db/crates/" >&2
        rm -rf "$db"
        return 1
    fi
    # cargo-deny's directory name for the default RustSec database URL.
    mv "$db/advisory-db" "$db/advisory-db-3157b0e258782691"
    commit=$(git -C "$db/advisory-db-3157b0e258782691" log -1 --format=%H 2>/dev/null || echo unknown)
    date=$(git -C "$db/advisory-db-3157b0e258782691" log -1 --format=%cs 2>/dev/null || echo unknown)
    echo "advisory database: RustSec snapshot of $date (commit $commit), from $tarball"
    out=$(HWSNAP_ADVISORY_DB_PATH=$db "$deny" --offline check --hide-inclusion-graph advisories 2>&1) || rc=$?
    printf '%s\n' "$out"
    rm -rf "$db"
    if [ "$rc" -ne 0 ]; then
        local ids
        ids=$(printf '%s\n' "$out" | grep -o 'RUSTSEC-[0-9]\{4\}-[0-9]\{4\}' | sort -u | tr '\n' ' ')
        echo "error: advisories name a dependency: ${ids:-(see above)}; update the crate or answer" \
            "the advisory in deny.toml's [advisories] ignore with a reason" >&2
    fi
    return "$rc"
}
