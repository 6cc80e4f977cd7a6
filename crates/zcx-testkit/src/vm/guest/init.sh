#!/bin/sh
# PID 1 of the zcx DRI3 test guest (installed as /sbin/zcx-init; the kernel runs it with
# init=/sbin/zcx-init). Mounts the host's shares (tag "host": the work folder, read-write;
# tag "bin": the zcx binaries, read-only), loads virtio_gpu, starts Xorg with glamor on
# llvmpipe, waits for it with a deadline, runs host/run.sh with DISPLAY set, writes its exit
# status and output (and Xorg's log) back to the share, and powers off. Clients get
# MESA_LOADER_DRIVER_OVERRIDE=kms_swrast: without it Mesa's EGL on X11 falls back to plain
# swrast, without DRI3 or dma-buf images.
export PATH=/mnt/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root LANG=C.UTF-8

# The initramfs has already moved /proc, /sys and /dev here; mount them only where it did not.
mountpoint -q /proc || mount -t proc proc /proc
mountpoint -q /sys || mount -t sysfs sysfs /sys
mountpoint -q /dev || mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
echo 1 >/proc/sys/kernel/sysrq

power_off() {
    sync
    umount /mnt/host 2>/dev/null
    echo o >/proc/sysrq-trigger
    sleep 60
}

modprobe 9pnet_virtio && modprobe 9p
mkdir -p /mnt/host /mnt/bin
if ! mount -t 9p -o trans=virtio,version=9p2000.L,msize=1048576 host /mnt/host; then
    echo "zcx-init: mounting the host share failed" >&2
    power_off
fi
# Setup failures go to init-error (the command never ran); the command's own exit status
# goes to status.
fail() {
    echo "zcx-init: $*" >&2
    echo "$*" >/mnt/host/init-error
    cp /tmp/Xorg.log /mnt/host/Xorg.log 2>/dev/null
    cp /tmp/Xorg.stderr /mnt/host/Xorg.stderr 2>/dev/null
    power_off
}
mount -t 9p -o trans=virtio,version=9p2000.L,msize=1048576,ro bin /mnt/bin \
    || fail "mounting the binaries share failed"
echo "zcx-init: shares mounted" >&2

modprobe virtio_gpu || fail "modprobe virtio_gpu failed"
deadline=$(($(date +%s) + 20))
while [ ! -e /dev/dri/card0 ]; do
    [ "$(date +%s)" -ge $deadline ] && fail "no /dev/dri/card0 20 s after loading virtio_gpu"
    sleep 0.1
done

GBM_ALWAYS_SOFTWARE=1 Xorg :0 -config /etc/X11/zcx-xorg.conf -noreset -nolisten tcp \
    -logfile /tmp/Xorg.log -verbose 3 >/tmp/Xorg.stderr 2>&1 &
xorg=$!
deadline=$(($(date +%s) + 60))
until xdpyinfo -display :0 >/dev/null 2>&1; do
    kill -0 $xorg 2>/dev/null || fail "Xorg exited: $(tail -5 /tmp/Xorg.stderr)"
    [ "$(date +%s)" -ge $deadline ] && fail "Xorg did not accept connections within 60 s"
    sleep 0.2
done
echo "zcx-init: Xorg is up" >&2

mkdir -p /mnt/host/work
cd /mnt/host/work || fail "no work folder"
DISPLAY=:0 MESA_LOADER_DRIVER_OVERRIDE=kms_swrast sh /mnt/host/run.sh \
    >/mnt/host/output.log 2>&1 </dev/null
echo $? >/mnt/host/status.tmp && mv /mnt/host/status.tmp /mnt/host/status
cp /tmp/Xorg.log /mnt/host/Xorg.log 2>/dev/null
kill $xorg 2>/dev/null
power_off
