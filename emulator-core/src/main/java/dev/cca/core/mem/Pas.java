package dev.cca.core.mem;

/**
 * Physical address spaces of an RME system (Arm ARM, "Physical address spaces"). The ordinal encoding is the
 * architectural {NSE, NS} pair and also the low two bits of a GPT's GPI for that space.
 */
public enum Pas {
    SECURE, NON_SECURE, ROOT, REALM;

    private static final Pas[] BY_CODE = values();

    /** The {NSE,NS} encoding: Secure 0b00, Non-secure 0b01, Root 0b10, Realm 0b11. */
    public int code() {
        return ordinal();
    }

    public static Pas fromCode(int code) {
        return BY_CODE[code & 3];
    }
}
