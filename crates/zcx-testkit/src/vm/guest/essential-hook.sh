#!/bin/sh
# mmdebstrap essential hook for the zcx DRI3 guest ($1 is the root being built): before the
# kernel is installed, make initramfs-tools build a small gzip initramfs holding only what
# mounting a virtio root needs.
set -eu
mkdir -p "$1/etc/initramfs-tools/conf.d" "$1/etc/initramfs-tools/hooks"
printf 'MODULES=list\nCOMPRESS=gzip\n' >"$1/etc/initramfs-tools/conf.d/zcx"
cat >"$1/etc/initramfs-tools/hooks/zcx" <<'HOOK'
#!/bin/sh
[ "${1:-}" = prereqs ] && exit 0
. /usr/share/initramfs-tools/hook-functions
for m in virtio_pci virtio_blk ext4; do force_load "$m"; done
HOOK
chmod 755 "$1/etc/initramfs-tools/hooks/zcx"
