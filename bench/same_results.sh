#!/usr/bin/env bash
# Two installs of the zoo train the same recipes; their metrics.json and history.csv (every epoch)
# are compared byte for byte. A refactoring of the engine must leave them equal.
#
#   bench/same_results.sh OLD_ZOO NEW_ZOO DATA   # DATA: ../shared/data (MovieLens, IMDB)
#
# OLD_ZOO and NEW_ZOO are `zoo` executables of two virtual environments (e.g. one with the previous
# commit installed: git worktree add /tmp/old REV && python3 -m venv /tmp/oldvenv &&
# /tmp/oldvenv/bin/pip install /tmp/old).
set -euo pipefail
old="$1" new="$2" data="$(cd "$3" && pwd)"
work="$(mktemp -d)"
export ZOO_HOME="$work/home"
recipes=(synthetic-cf-bias synthetic-cf-nn synthetic-char-lstm synthetic-images-vgg
  "movielens-cf-bias --set dataset.path=$data/movielens/ml-latest-small"
  "imdb-nb-trigrams --set dataset.path=$data/imdb")
status=0
for recipe in "${recipes[@]}"; do
  name="${recipe%% *}"
  for side in old new; do
    zoo="$old"; [ "$side" = new ] && zoo="$new"
    # shellcheck disable=SC2086
    "$zoo" train $recipe --out "$work/$side/$name" --force -q > "$work/$side-$name.txt" 2>/dev/null
  done
  if cmp -s "$work/old/$name/metrics.json" "$work/new/$name/metrics.json" &&
     cmp -s "$work/old/$name/history.csv" "$work/new/$name/history.csv"; then
    echo "$name: identical ($(tr '\n' ' ' < "$work/new-$name.txt" | sed 's/saved .*//'))"
  else
    echo "$name: DIFFERS"; diff "$work/old/$name/metrics.json" "$work/new/$name/metrics.json" || true; status=1
  fi
done
exit "$status"
