package dev.cca.vmm;

import picocli.CommandLine.Option;

import java.util.HexFormat;
import java.util.Locale;

/**
 * The realm's configuration as kvmtool names it: the measurement hash algorithm and the Realm Personalization
 * Value. Shared by run and measure: the algorithm changes the RIM; the RPV is not measured but is in the token.
 * The v12 KVM ABI cannot pass either; the host's realm-config profile can (docs/abi.md).
 */
public final class RealmOptions {
    /** The measurement algorithms of RmiRealmParams.hash_algo. */
    public enum Algo {
        sha256(0, "SHA-256"), sha512(1, "SHA-512");

        /** The RMI encoding (RMI_HASH_SHA_256 0, RMI_HASH_SHA_512 1), which is also ARM_RMI_CONFIG_HASH_ALGO's. */
        public final int rmi;
        public final String label;

        Algo(int rmi, String label) {
            this.rmi = rmi;
            this.label = label;
        }
    }

    static final int RPV_SIZE = 64;

    @Option(names = "--measurement-algo", paramLabel = "sha256|sha512",
            description = "The realm's measurement algorithm (RIM, REMs and the token's hash-algo-id), as lkvm's "
                + "option. Default: sha256. The v12 ABI cannot choose it: cca boots its host kernel with the "
                + "realm-config profile (docs/abi.md).")
    Algo measurementAlgo;

    @Option(names = "--realm-pv", paramLabel = "HEX",
            description = "The Realm Personalization Value, up to 64 bytes in hex (128 digits, optional 0x); a "
                + "shorter value fills the first bytes and the rest is zero. Not measured, but in the realm token "
                + "(personalization-value). Default: 64 zero bytes.")
    String realmPv;

    /** True if the realm needs a configuration call (either option given). */
    boolean configured() {
        return measurementAlgo != null || realmPv != null;
    }

    Algo algo() {
        return measurementAlgo != null ? measurementAlgo : Algo.sha256;
    }

    /** The 64-byte RPV, or null when not given. */
    byte[] rpv() throws RunCommand.UsageError {
        return realmPv == null ? null : parseHex("--realm-pv", realmPv, RPV_SIZE);
    }

    /**
     * Parses HEX (optional 0x, an even number of digits, at most {@code size} bytes) into {@code size} bytes,
     * zero-padded after the given ones.
     */
    static byte[] parseHex(String option, String text, int size) throws RunCommand.UsageError {
        String h = text.trim();
        if (h.startsWith("0x") || h.startsWith("0X")) {
            h = h.substring(2);
        }
        if (h.isEmpty()) {
            throw new RunCommand.UsageError(option + ": no hex digits in '" + text + "'");
        }
        if (h.length() % 2 != 0) {
            throw new RunCommand.UsageError(option + ": '" + text + "' has an odd number of hex digits");
        }
        if (h.length() > 2 * size) {
            throw new RunCommand.UsageError(String.format(Locale.ROOT, "%s: %d bytes given, at most %d", option,
                    h.length() / 2, size));
        }
        byte[] b;
        try {
            b = HexFormat.of().parseHex(h);
        } catch (IllegalArgumentException e) {
            throw new RunCommand.UsageError(option + ": '" + text + "' is not hex");
        }
        byte[] out = new byte[size];
        System.arraycopy(b, 0, out, 0, b.length);
        return out;
    }
}
