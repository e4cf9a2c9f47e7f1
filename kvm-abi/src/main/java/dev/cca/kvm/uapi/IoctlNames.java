package dev.cca.kvm.uapi;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.HashMap;
import java.util.Map;

/**
 * Names of the KVM ioctl request numbers, for traces: every {@code long} constant of {@link KvmUapi} whose value
 * is a request of type {@code KVMIO}, so a request added there is named here without a second table.
 */
public final class IoctlNames {
    private IoctlNames() {
    }

    private static final Map<Long, String> NAMES = new HashMap<>();

    static {
        for (Field f : KvmUapi.class.getFields()) {
            int mod = f.getModifiers();
            if (f.getType() == long.class && Modifier.isStatic(mod) && Modifier.isFinal(mod)
                    && f.getName().startsWith("KVM_")) {
                try {
                    long v = f.getLong(null);
                    if (v > 0xFF && v == (v & 0xFFFF_FFFFL) && Ioctl.type(v) == KvmUapi.KVMIO) {
                        NAMES.putIfAbsent(v, f.getName());
                    }
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
    }

    /** The request's name, or a rendering of its encoding ({@code _IOW(0xae, 0x12, 32)}) when it has none. */
    public static String name(long request) {
        long r = request & 0xFFFF_FFFFL;
        String n = NAMES.get(r);
        if (n != null) {
            return n;
        }
        String dir;
        switch (Ioctl.dir(r)) {
            case Ioctl.NONE: dir = "_IO"; break;
            case Ioctl.READ: dir = "_IOR"; break;
            case Ioctl.WRITE: dir = "_IOW"; break;
            default: dir = "_IOWR"; break;
        }
        return Ioctl.dir(r) == Ioctl.NONE ? String.format("%s(%#x, %#x)", dir, Ioctl.type(r), Ioctl.nr(r))
                : String.format("%s(%#x, %#x, %d)", dir, Ioctl.type(r), Ioctl.nr(r), Ioctl.size(r));
    }
}
