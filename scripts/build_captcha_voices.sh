#!/usr/bin/env bash
# Rebuild the French voices of the audio captcha (needs Debian's espeak-ng and sox).
# Output: backend/cma/accounts/captcha_voices/<char>/<n>.wav, 8 kHz, 8-bit unsigned, mono,
# the format captcha.audio.AudioCaptcha expects. The result is committed, so running the
# project does not need espeak-ng.
set -euo pipefail
out="$(dirname "$0")/../backend/cma/accounts/captcha_voices"
alphabet="acdefhjkmnprtxy234679"   # as backend/cma/accounts/captcha.py: no look-alikes
rm -rf "$out"
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# voice variant : speed : pitch
variants=("fr:125:45" "fr+m3:135:40" "fr+f2:130:60" "fr+f4:120:70")
for ((i = 0; i < ${#alphabet}; i++)); do
  c=${alphabet:i:1}
  mkdir -p "$out/$c"
  n=0
  for v in "${variants[@]}"; do
    IFS=: read -r voice speed pitch <<<"$v"
    espeak-ng -v "$voice" -s "$speed" -p "$pitch" -w "$tmp/x.wav" "$c"
    sox "$tmp/x.wav" -r 8000 -c 1 -b 8 -e unsigned-integer "$out/$c/$n.wav" \
      silence 1 0.02 1% reverse silence 1 0.02 1% reverse
    n=$((n + 1))
  done
done
du -sh "$out"
