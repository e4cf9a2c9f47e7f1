package dev.cca.vmm.abitest;

import dev.cca.kvm.uapi.Errno;
import dev.cca.kvm.uapi.KvmUapi;
import dev.cca.rmm.smc.Psci;
import dev.cca.rmm.smc.Rmi;
import dev.cca.rmm.smc.Rsi;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.Map;
import java.util.TreeMap;

/**
 * The names a scenario may use for numbers: every KVM_* constant of the uapi ({@link KvmUapi}), the RMI, RSI and
 * PSCI function identifiers and status codes with their prefixes (RMI_DATA_CREATE, RMI_ERROR_RTT, RSI_VERSION,
 * PSCI_SYSTEM_OFF, PSCI_DENIED), and errno names (EINVAL) as their positive values.
 */
final class Constants {
    private static final Map<String, Long> VALUES = new TreeMap<>();

    static {
        addAll(KvmUapi.class, "");
        addAll(Rmi.class, "RMI_");
        addAll(Rsi.class, "RSI_");
        addAll(Psci.class, "PSCI_");
        for (int e = 1; e < 134; e++) {
            String n = Errno.name(e);
            if (!n.startsWith("errno")) {
                VALUES.put(n, (long) e);
            }
        }
        VALUES.put("SMCCC_VERSION", 0x8000_0000L);
        VALUES.put("SMCCC_ARCH_FEATURES", 0x8000_0001L);
    }

    private Constants() {
    }

    private static void addAll(Class<?> c, String prefix) {
        for (Field f : c.getFields()) {
            int m = f.getModifiers();
            if (!Modifier.isStatic(m) || !Modifier.isFinal(m)) {
                continue;
            }
            try {
                if (f.getType() == long.class) {
                    VALUES.putIfAbsent(prefix + f.getName(), f.getLong(null));
                } else if (f.getType() == int.class) {
                    VALUES.putIfAbsent(prefix + f.getName(), (long) f.getInt(null));
                }
            } catch (IllegalAccessException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /** The value of a named constant, or null. */
    static Long get(String name) {
        return VALUES.get(name);
    }

    /** The name of an exit reason or errno for messages. */
    static String exitName(long reason) {
        return KvmUapi.exitName((int) reason);
    }
}
