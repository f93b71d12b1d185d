#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build the test guest's initramfs for one kernel: busybox-static, the
# virtio/9p modules of that exact kernel (decompressed) in dependency order,
# and scripts/vm-init as /init.
#
#   vm-initramfs.sh KVER OUTPUT
set -euo pipefail

[ $# -eq 2 ] || { echo "usage: $0 KVER OUTPUT" >&2; exit 2; }
kver=$1
out=$2
here=$(cd "$(dirname "$0")" && pwd)
busybox=/bin/busybox

if ! "$busybox" --list 2>/dev/null | grep -x chroot >/dev/null ||
   ldd "$busybox" >/dev/null 2>&1; then
	echo "vm-initramfs.sh: $busybox is not busybox-static (run scripts/deps.sh check)" >&2
	exit 1
fi

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,dev,proc,sys,host,hostro,lib/modules}
cp "$busybox" "$root/bin/busybox"
for applet in sh mount umount insmod mkdir chroot cat echo dmesg ip sleep sync; do
	ln -s busybox "$root/bin/$applet"
done
mknod -m 600 "$root/dev/console" c 5 1
install -m 755 "$here/vm-init" "$root/init"

# virtio_pci is the transport, 9pnet_virtio and 9p the file system; what is
# built in shows up as "builtin" and needs nothing.
: > "$root/lib/modules/order"
modprobe -S "$kver" --show-depends -a virtio_pci 9pnet_virtio 9p |
awk '$1 == "insmod" && !seen[$2]++ { print $2 }' |
while read -r ko; do
	name=$(basename "$ko")
	case "$ko" in
	*.ko.xz)  name=${name%.xz};  xz -dc "$ko" > "$root/lib/modules/$name" ;;
	*.ko.zst) name=${name%.zst}; zstd -dcq "$ko" > "$root/lib/modules/$name" ;;
	*.ko.gz)  name=${name%.gz};  gzip -dc "$ko" > "$root/lib/modules/$name" ;;
	*.ko)     cp "$ko" "$root/lib/modules/$name" ;;
	*) echo "vm-initramfs.sh: unexpected module file $ko" >&2; exit 1 ;;
	esac
	echo "$name" >> "$root/lib/modules/order"
done

(cd "$root" && find . | LC_ALL=C sort | cpio --quiet -o -H newc) > "$out.tmp"
mv "$out.tmp" "$out"
