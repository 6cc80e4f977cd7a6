#!/bin/sh
# mmdebstrap customize hook for the zcx DRI3 guest ($1 is the root being built): keep only
# the kernel modules the guest loads, drop docs and caches, and install the init and xorg.conf
# (copied into $1/tmp/zcx by an earlier hook). The initramfs was built with the essential hook's settings.
set -eu
root=$1
kver=$(ls "$root/lib/modules")
for m in virtio_pci virtio_blk ext4 virtio_gpu 9p 9pnet_virtio; do
    chroot "$root" modprobe -S "$kver" --show-depends "$m"
done | awk '$1 == "insmod" { print $2 }' >"$root/tmp/keep-modules"
find "$root/lib/modules/$kver/kernel" -name '*.ko*' | sed "s|^$root||" \
    | grep -vxF -f "$root/tmp/keep-modules" | sed "s|^|$root|" | xargs -r rm -f
find "$root/lib/modules/$kver/kernel" -type d -empty -delete
chroot "$root" depmod "$kver"
install -m 755 "$root/tmp/zcx/init.sh" "$root/sbin/zcx-init"
install -m 644 "$root/tmp/zcx/xorg.conf" "$root/etc/X11/zcx-xorg.conf"
rm -rf "$root/tmp/zcx" "$root/tmp/keep-modules" "$root/var/lib/apt/lists/"* \
    "$root/usr/share/doc" "$root/usr/share/man" "$root/usr/share/info" "$root/usr/share/locale"
