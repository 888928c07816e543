#!/bin/sh
# Install the reference tools the tests compare against, when missing.
missing=""
command -v bcftools >/dev/null 2>&1 || missing="$missing bcftools"
command -v tabix    >/dev/null 2>&1 || missing="$missing tabix"
command -v bgzip    >/dev/null 2>&1 || missing="$missing tabix"
command -v plink2   >/dev/null 2>&1 || missing="$missing plink2"
command -v samtools >/dev/null 2>&1 || missing="$missing samtools"
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing$missing with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null && apt-get install -y -qq $(echo $missing | tr ' ' '\n' | sort -u) >/dev/null
else
  echo "note:$missing not found; tests that compare with them will be skipped (install them, or run as root)"
fi
