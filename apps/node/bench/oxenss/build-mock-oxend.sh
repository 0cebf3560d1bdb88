#!/bin/sh
# Builds bench/oxenss/mock-oxend.cpp against the oxen-mq of an oxenss source tree built with
# ../shared/peers/oxenss/BUILD.sh (static liboxenmq.a, no rpath).
#   sh build-mock-oxend.sh <oxenss source tree, e.g. /var/tmp/oxenss/src262> <output binary>
set -e
S=${1:?oxenss source tree (built)}
OUT=${2:?output path}
g++ -std=c++17 -O2 -o "$OUT" "$(dirname "$0")/mock-oxend.cpp" \
  -I"$S/external/oxen-mq" -I"$S/external/oxen-mq/cppzmq" -I"$S/build/external/oxen-mq" \
  -I"$S/external/oxenc" -I"$S/build/external/oxenc" \
  "$S/build/external/oxen-mq/liboxenmq.a" -lzmq -lsodium -pthread
