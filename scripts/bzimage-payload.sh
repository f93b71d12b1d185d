#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Turn an x86 bzImage into the uncompressed ELF vmlinux inside it, which QEMU
# boots directly through its PVH entry (about twice as fast under TCG as
# letting the guest decompress itself).
#
#   bzimage-payload.sh BZIMAGE OUTPUT
#
# The x86 boot protocol header says where the compressed payload is:
# setup_sects at 0x1f1, "HdrS" at 0x202, payload_offset at 0x248 and
# payload_length at 0x24c, both relative to the protected-mode code that
# starts after the (setup_sects + 1) 512-byte setup sectors.
set -euo pipefail

[ $# -eq 2 ] || { echo "usage: $0 BZIMAGE OUTPUT" >&2; exit 2; }
bz=$1
out=$2

u8()  { od -An -tu1 -j "$1" -N1 "$bz" | tr -d ' '; }
u32() { od -An -tu4 -j "$1" -N4 "$bz" | tr -d ' '; }
hex() { od -An -tx1 -j "$1" -N "$2" "$3" | tr -d ' \n'; }

if [ "$(hex $((0x202)) 4 "$bz")" != "48647253" ]; then
	echo "bzimage-payload.sh: $bz is not a bzImage (no HdrS signature)" >&2
	exit 1
fi
setup_sects=$(u8 $((0x1f1)))
[ "$setup_sects" -ne 0 ] || setup_sects=4
start=$(( (setup_sects + 1) * 512 + $(u32 $((0x248))) ))
length=$(u32 $((0x24c)))

tmp=$(mktemp "$out.XXXXXX")
trap 'rm -f "$tmp" "$tmp.z"' EXIT
dd if="$bz" of="$tmp.z" iflag=skip_bytes,count_bytes skip="$start" count="$length" \
	bs=1M status=none

# Compressed payloads other than gzip carry the uncompressed size as 4
# trailing bytes, which the decompressors must not see.
case "$(hex 0 4 "$tmp.z")" in
fd377a58) xz -dc --single-stream < "$tmp.z" > "$tmp" ;;
28b52ffd) head -c -4 "$tmp.z" | zstd -dcq > "$tmp" ;;
1f8b*)    gzip -dc < "$tmp.z" > "$tmp" 2>/dev/null || [ -s "$tmp" ] ;;
*)
	echo "bzimage-payload.sh: unknown compression in $bz (magic $(hex 0 4 "$tmp.z"))" >&2
	exit 1
	;;
esac
if [ "$(hex 0 4 "$tmp")" != "7f454c46" ]; then
	echo "bzimage-payload.sh: payload of $bz did not decompress to an ELF file" >&2
	exit 1
fi
mv "$tmp" "$out"
