package dev.cca.kvm.uapi;

/**
 * The generic Linux ioctl request encoding ({@code include/uapi/asm-generic/ioctl.h}):
 * {@code dir << 30 | size << 16 | type << 8 | nr}. Every request number in this module is derived here.
 */
public final class Ioctl {
    private Ioctl() {
    }

    public static final int NONE = 0, WRITE = 1, READ = 2;
    private static final int NR_BITS = 8, TYPE_BITS = 8, SIZE_BITS = 14;
    private static final int NR_SHIFT = 0, TYPE_SHIFT = NR_SHIFT + NR_BITS, SIZE_SHIFT = TYPE_SHIFT + TYPE_BITS,
            DIR_SHIFT = SIZE_SHIFT + SIZE_BITS;

    public static long ioc(int dir, int type, int nr, int size) {
        if (size < 0 || size >= (1 << SIZE_BITS)) {
            throw new IllegalArgumentException("ioctl size " + size);
        }
        return ((long) dir << DIR_SHIFT | (long) size << SIZE_SHIFT | (long) type << TYPE_SHIFT | nr) & 0xFFFF_FFFFL;
    }

    public static long io(int type, int nr) {
        return ioc(NONE, type, nr, 0);
    }

    public static long ior(int type, int nr, int size) {
        return ioc(READ, type, nr, size);
    }

    public static long iow(int type, int nr, int size) {
        return ioc(WRITE, type, nr, size);
    }

    public static long iowr(int type, int nr, int size) {
        return ioc(READ | WRITE, type, nr, size);
    }

    public static int dir(long req) {
        return (int) (req >>> DIR_SHIFT) & 3;
    }

    public static int size(long req) {
        return (int) (req >>> SIZE_SHIFT) & ((1 << SIZE_BITS) - 1);
    }

    public static int type(long req) {
        return (int) (req >>> TYPE_SHIFT) & 0xFF;
    }

    public static int nr(long req) {
        return (int) (req >>> NR_SHIFT) & 0xFF;
    }
}
