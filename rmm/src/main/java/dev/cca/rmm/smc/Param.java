package dev.cca.rmm.smc;

/**
 * One register of a command's argument or result layout: its name in the specification (RMM v1.0 B3.3/B4.3,
 * PSCI) and what the value is. Tools read the kind to render the value (the decoder) or to choose it (the fuzzer).
 */
public record Param(String name, Kind kind) {
    /** What a register holds. */
    public enum Kind {
        /** The PA of a Realm Descriptor granule. */
        RD,
        /** The PA of a REC granule. */
        REC,
        /** The PA of a granule the command delegates, claims or returns (addr, data, rtt). */
        GRANULE,
        /** The PA of a Non-secure granule the RMM reads or writes (params_ptr, src, run_ptr). */
        NS_GRANULE,
        /** An IPA of the realm (or the base or top of an IPA range). */
        IPA,
        /** An RTT level. */
        LEVEL,
        /** RmiDataFlags: MEASURE_CONTENT or NO_MEASURE_CONTENT. */
        DATA_FLAGS,
        /** An interface version, (major &lt;&lt; 16) | minor. */
        VERSION,
        /** A small number: an index, a size, a count, an offset. */
        DEC,
        /** Any other value: a descriptor, a feature register, a flags word. */
        HEX,
        /** RmiRipas / RsiRipas. */
        RIPAS,
        /** RmiRttEntryState. */
        RTT_STATE,
        /** A PSCI return code. */
        PSCI_STATUS,
        /** Up to 64 bytes passed in eight consecutive registers, little-endian. */
        BYTES
    }

    /** Whether the value is a physical or intermediate-physical address (rendered in hex). */
    public boolean isAddress() {
        switch (kind) {
            case RD:
            case REC:
            case GRANULE:
            case NS_GRANULE:
            case IPA:
                return true;
            default:
                return false;
        }
    }

    public static Param rd(String name) {
        return new Param(name, Kind.RD);
    }

    public static Param rec(String name) {
        return new Param(name, Kind.REC);
    }

    public static Param granule(String name) {
        return new Param(name, Kind.GRANULE);
    }

    public static Param nsGranule(String name) {
        return new Param(name, Kind.NS_GRANULE);
    }

    public static Param ipa(String name) {
        return new Param(name, Kind.IPA);
    }

    public static Param level(String name) {
        return new Param(name, Kind.LEVEL);
    }

    public static Param dec(String name) {
        return new Param(name, Kind.DEC);
    }

    public static Param hex(String name) {
        return new Param(name, Kind.HEX);
    }

    public static Param of(String name, Kind k) {
        return new Param(name, k);
    }
}
