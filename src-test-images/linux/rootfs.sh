#!/bin/sh
# Builds a root file system on a virtio-blk disk for Debian's kernel, and the initramfs that mounts it:
#
#   rootfs.sh [DIR]        default DIR: $CCA_LINUX_CACHE or <repo>/build-cache/linux
#
# Needs DIR/busybox (fetch.sh) and Debian's linux-modules package of the same kernel version: the .deb named by
# CCA_LINUX_MODULES_DEB, or the first linux-modules-<kernel-version>_*.deb found under DIR. From the modules it
# takes virtio_blk and virtio-rng (the cloud kernel builds VIRTIO_PCI, VIRTIO_CONSOLE and EXT4 in, these two as
# modules), decompressed.
#
# Results:
#   DIR/rootfs.ext4            a 64 MiB ext4 image (mke2fs -d, no root needed): busybox, /etc/motd, and /sbin/init,
#                              which lists the PCI functions, reads the disk with dd, reads 16 bytes of
#                              /dev/hwrng, writes /root/written-by-guest, and powers off.
#   DIR/initramfs-rootfs.cpio  its /init loads virtio_blk and virtio-rng, mounts /dev/vda (ext4) and switch_roots.
#
# CCA_CLI: the command that runs cca (default: the repository's ./cca).
#
# Then:  ./cca run -k DIR/vmlinuz -i DIR/initramfs-rootfs.cpio -p console=ttyAMA0 -m 256 -d DIR/rootfs.ext4 --rng
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
dir=${1:-${CCA_LINUX_CACHE:-$repo/build-cache/linux}}
cli=${CCA_CLI:-$repo/cca}
for tool in dpkg-deb mke2fs xz; do
    command -v "$tool" >/dev/null 2>&1 || { echo "rootfs.sh: $tool not found" >&2; exit 2; }
done
[ -s "$dir/busybox" ] && [ -s "$dir/kernel-version" ] || { echo "rootfs.sh: run fetch.sh first ($dir)" >&2; exit 2; }
kver=$(cat "$dir/kernel-version")
deb=${CCA_LINUX_MODULES_DEB:-$(find "$dir" -name "linux-modules-${kver}_*.deb" 2>/dev/null | head -n 1)}
[ -n "$deb" ] && [ -s "$deb" ] || { echo "rootfs.sh: no linux-modules-${kver} .deb under $dir (set CCA_LINUX_MODULES_DEB)" >&2; exit 2; }

work="$dir/rootfs-work"
rm -rf "$work"
mkdir -p "$work/unpack" "$work/modules" "$work/root"
dpkg-deb -x "$deb" "$work/unpack"
for m in drivers/block/virtio_blk drivers/char/hw_random/virtio-rng; do
    f=$(find "$work/unpack/usr/lib/modules/$kver/kernel" -path "*/$m.ko*" | head -n 1)
    [ -n "$f" ] || { echo "rootfs.sh: $m not in $deb" >&2; exit 1; }
    case "$f" in
        *.xz) xz -dc "$f" > "$work/modules/$(basename "$m").ko" ;;
        *) cp "$f" "$work/modules/$(basename "$m").ko" ;;
    esac
done

# The root file system.
r="$work/root"
mkdir -p "$r/bin" "$r/sbin" "$r/etc" "$r/proc" "$r/sys" "$r/dev" "$r/tmp" "$r/root" "$r/mnt"
cp "$dir/busybox" "$r/bin/busybox"
ln -s busybox "$r/bin/sh"
echo "CCA-ROOTFS: this file is on the virtio-blk disk" > "$r/etc/motd"
cat > "$r/sbin/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sysfs /sys
/bin/busybox mount -t devtmpfs devtmpfs /dev 2>/dev/null
/bin/busybox --install -s /bin
echo "CCA-ROOTFS: / is $(awk '$2 == "/" {print $1, $3}' /proc/mounts)"
echo '$ ls /sys/bus/pci/devices'
for d in /sys/bus/pci/devices/*; do
    echo "$(basename "$d") $(cat "$d/vendor"):$(cat "$d/device") class $(cat "$d/class") driver $(basename "$(readlink "$d/driver")")"
done
echo '$ cat /etc/motd'; cat /etc/motd
echo '$ dd if=/dev/vda bs=512 skip=2 count=1 | od -A d -t x1 | head -n 2'
dd if=/dev/vda bs=512 skip=2 count=1 2>/dev/null | od -A d -t x1 | head -n 2
echo '$ cat /sys/class/misc/hw_random/rng_current'; cat /sys/class/misc/hw_random/rng_current
echo '$ head -c 16 /dev/hwrng | od -A n -t x1'; head -c 16 /dev/hwrng | od -A n -t x1
echo "written by the guest at $(cat /proc/uptime)" > /root/written-by-guest
sync
echo "CCA-ROOTFS: wrote /root/written-by-guest"
echo "CCA-ROOTFS: done"
poweroff -f
INIT
chmod 755 "$r/sbin/init"
rm -f "$dir/rootfs.ext4"
mke2fs -q -t ext4 -L cca-root -d "$r" "$dir/rootfs.ext4" 64M

# The initramfs: load the drivers, mount the disk, switch to it.
cat > "$work/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox mkdir -p /proc /sys /dev /newroot
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sysfs /sys
/bin/busybox mount -t devtmpfs devtmpfs /dev
/bin/busybox insmod /lib/modules/virtio_blk.ko
/bin/busybox insmod /lib/modules/virtio-rng.ko
i=0
while [ ! -b /dev/vda ] && [ $i -lt 50 ]; do /bin/busybox sleep 0.1; i=$((i + 1)); done
echo "CCA-INITRAMFS: mounting /dev/vda"
/bin/busybox mount -t ext4 /dev/vda /newroot || { echo "CCA-INITRAMFS: mount failed"; /bin/busybox poweroff -f; }
/bin/busybox umount /proc /sys
/bin/busybox mount --move /dev /newroot/dev
exec /bin/busybox switch_root /newroot /sbin/init
INIT
$cli initramfs --busybox "$dir/busybox" --init "$work/init" \
    --file "$work/modules/virtio_blk.ko=/lib/modules/virtio_blk.ko" \
    --file "$work/modules/virtio-rng.ko=/lib/modules/virtio-rng.ko" \
    -o "$dir/initramfs-rootfs.cpio"
rm -rf "$work"
echo "rootfs.sh: $dir/rootfs.ext4 and $dir/initramfs-rootfs.cpio"
