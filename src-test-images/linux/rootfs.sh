#!/bin/sh
# Builds a root file system on a virtio-blk disk for Debian's kernel, and the initramfs that mounts it:
#
#   rootfs.sh [DIR]        default DIR: $CCA_LINUX_CACHE or <repo>/build-cache/linux
#
# Needs DIR/busybox, DIR/kernel-version and the kernel's module tree DIR/modules/VERSION (fetch.sh puts them
# there), or Debian's linux-modules .deb of that kernel named by CCA_LINUX_MODULES_DEB. The initramfs gets
# virtio_blk and virtio-rng (the cloud kernel builds VIRTIO_PCI, VIRTIO_CONSOLE and EXT4 in, these two as
# modules), ext4 when it is a module (the generic kernel), and 9p with 9pnet_virtio when the kernel has them
# (the cloud kernel has no 9P; Debian's generic arm64 kernel, fetched with CCA_LINUX_FLAVOUR=arm64, has),
# each with its dependencies (cca initramfs --modules resolves and decompresses them).
#
# Results:
#   DIR/rootfs.ext4            a 64 MiB ext4 image (mke2fs -d, no root needed): busybox, /etc/motd, and /sbin/init,
#                              which lists the PCI functions, reads the disk with dd, reads 16 bytes of
#                              /dev/hwrng, writes /root/written-by-guest; with 9P and a share tagged hostshare
#                              it mounts it on /mnt, lists it, prints each file in it and writes
#                              /mnt/written-by-guest; then powers off.
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
for tool in mke2fs; do
    command -v "$tool" >/dev/null 2>&1 || { echo "rootfs.sh: $tool not found" >&2; exit 2; }
done
[ -s "$dir/busybox" ] && [ -s "$dir/kernel-version" ] || { echo "rootfs.sh: run fetch.sh first ($dir)" >&2; exit 2; }
kver=$(cat "$dir/kernel-version")

work="$dir/rootfs-work"
rm -rf "$work"
mkdir -p "$work/root"
tree="$dir/modules/$kver"
if [ -n "${CCA_LINUX_MODULES_DEB:-}" ]; then
    command -v dpkg-deb >/dev/null 2>&1 || { echo "rootfs.sh: dpkg-deb not found" >&2; exit 2; }
    dpkg-deb -x "$CCA_LINUX_MODULES_DEB" "$work/unpack"
    tree="$work/unpack/usr/lib/modules/$kver"
fi
[ -d "$tree" ] || { echo "rootfs.sh: no module tree $tree (run fetch.sh, or set CCA_LINUX_MODULES_DEB)" >&2; exit 2; }
# A module of that name, spelled with _ or - (file names use both). "$tree/": the tree may be a symbolic link,
# which find does not enter when it is the starting point itself.
has() {
    [ -n "$(find "$tree/" \( -name "$1.ko*" -o -name "$(echo "$1" | tr _ -).ko*" \) 2>/dev/null | head -n 1)" ]
}
load=""
for m in ext4 virtio_blk virtio_rng 9pnet_virtio 9p; do
    if has "$m"; then
        load="$load,$m"
    else
        case "$m" in
            ext4|9p*) ;; # built in, or (9P) absent from the cloud kernel
            *) echo "rootfs.sh: $m is not in $tree" >&2; exit 1 ;;
        esac
    fi
done
load=${load#,}

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
if grep -qx hostshare /sys/bus/virtio/devices/*/mount_tag 2>/dev/null; then
    echo '$ mount -t 9p -o trans=virtio,version=9p2000.L hostshare /mnt'
    mount -t 9p -o trans=virtio,version=9p2000.L hostshare /mnt && ls -l /mnt
    for f in /mnt/*; do
        [ -f "$f" ] && echo "$ cat $f" && cat "$f"
    done
    echo "written by the guest over 9p" > /mnt/written-by-guest && sync && echo "CCA-ROOTFS: wrote /mnt/written-by-guest"
    umount /mnt
fi
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
for m in $(/bin/busybox cat /lib/modules/load); do /bin/busybox insmod /lib/modules/$m.ko; done
i=0
while [ ! -b /dev/vda ] && [ $i -lt 50 ]; do /bin/busybox sleep 0.1; i=$((i + 1)); done
echo "CCA-INITRAMFS: mounting /dev/vda"
/bin/busybox mount -t ext4 /dev/vda /newroot || { echo "CCA-INITRAMFS: mount failed"; /bin/busybox poweroff -f; }
/bin/busybox umount /proc /sys
/bin/busybox mount --move /dev /newroot/dev
exec /bin/busybox switch_root /newroot /sbin/init
INIT
$cli initramfs --busybox "$dir/busybox" --init "$work/init" --modules "$tree" --load "$load" \
    -o "$dir/initramfs-rootfs.cpio"
rm -rf "$work"
echo "rootfs.sh: $dir/rootfs.ext4 and $dir/initramfs-rootfs.cpio"
