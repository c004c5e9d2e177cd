#!/usr/bin/env bash
# install.sh: `bazel run //:install -- --prefix DIR` copies hakmem into a Unix prefix:
#   lib/libhakmem_<v>.so for every variant, lib/libhakmem.so -> the default variant,
#   include/hakmem.h, lib/pkgconfig/hakmem.pc and the bin/hakmem launcher (LD_PRELOAD).
# install/BUILD.bazel passes the built files (--lib V=PATH..., --default, --header, --pc, --launcher)
# before the user's arguments. A relative --prefix is taken from where `bazel run` was typed.
set -euo pipefail

die() { echo "install: $*" >&2; exit 2; }
usage() { die "${1:+$1; }usage: bazel run //:install -- --prefix DIR"; }

libs=() default="" header="" pc="" launcher="" prefix=""
while (($#)); do
  case $1 in
    --lib=*) libs+=("${1#--lib=}") ;;
    --default=*) default=${1#--default=} ;;
    --header=*) header=${1#--header=} ;;
    --pc=*) pc=${1#--pc=} ;;
    --launcher=*) launcher=${1#--launcher=} ;;
    --prefix) (($# >= 2)) || usage "--prefix needs a directory"; prefix=$2; shift ;;
    --prefix=*) prefix=${1#--prefix=} ;;
    -h | --help) echo "usage: bazel run //:install -- --prefix DIR"; exit 0 ;;
    *) usage "unknown argument '$1'" ;;
  esac
  shift
done
[[ -n $prefix ]] || usage "no --prefix given"
[[ -n $default && -n $header && -n $pc && -n $launcher && ${#libs[@]} -gt 0 ]] ||
  die "incomplete arguments from install/BUILD.bazel (run it as bazel run //:install)"

[[ " ${libs[*]%%=*} " == *" $default "* ]] || die "default variant '$default' is not among the libraries"

# `bazel run` starts us in the runfiles tree; a relative prefix means the user's directory.
[[ $prefix == /* ]] || prefix=${BUILD_WORKING_DIRECTORY:-$PWD}/$prefix
if [[ -e $prefix && ! -d $prefix ]]; then die "--prefix $prefix exists and is not a directory"; fi
mkdir -p "$prefix/lib/pkgconfig" "$prefix/include" "$prefix/bin" || die "cannot create $prefix"
prefix=$(cd "$prefix" && pwd)

# A pkg-config Version needs a value; hakmem has no release numbers, so it is the source revision.
revision=$(git -C "${BUILD_WORKSPACE_DIRECTORY:-.}" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
version="0+git.$revision"

for entry in "${libs[@]}"; do
  variant=${entry%%=*}
  install -m 0755 "${entry#*=}" "$prefix/lib/libhakmem_$variant.so"
  echo "installed $prefix/lib/libhakmem_$variant.so"
done
ln -sfn "libhakmem_$default.so" "$prefix/lib/libhakmem.so"
echo "installed $prefix/lib/libhakmem.so -> libhakmem_$default.so"
install -m 0644 "$header" "$prefix/include/hakmem.h"
echo "installed $prefix/include/hakmem.h"

# Paths with these characters would break the sed substitutions below.
[[ $prefix != *[\|\&\\]* ]] || die "--prefix must not contain |, & or \\"
sed -e "s|@PREFIX@|$prefix|g" -e "s|@VERSION@|$version|g" "$pc" >"$prefix/lib/pkgconfig/hakmem.pc"
echo "installed $prefix/lib/pkgconfig/hakmem.pc (version $version)"
sed -e "s|@PREFIX@|$prefix|g" "$launcher" >"$prefix/bin/hakmem"
chmod 0755 "$prefix/bin/hakmem"
echo "installed $prefix/bin/hakmem"
echo "use: PKG_CONFIG_PATH=$prefix/lib/pkgconfig pkg-config --cflags --libs hakmem"
echo "     $prefix/bin/hakmem [--variant NAME] PROGRAM [ARGS...]"
