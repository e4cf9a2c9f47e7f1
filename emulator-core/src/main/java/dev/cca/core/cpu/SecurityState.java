package dev.cca.core.cpu;

import dev.cca.core.mem.Pas;

/**
 * The four security states of an RME PE. Below EL3 the state is selected by SCR_EL3.{NSE,NS}; EL3 is Root.
 */
public enum SecurityState {
    SECURE(Pas.SECURE), NON_SECURE(Pas.NON_SECURE), ROOT(Pas.ROOT), REALM(Pas.REALM);

    /** The physical address space an access from this state uses by default (MMU off). */
    public final Pas defaultPas;

    SecurityState(Pas pas) {
        this.defaultPas = pas;
    }

    /** Security state below EL3 for a value of SCR_EL3, or null for the reserved NSE=1,NS=0 encoding. */
    public static SecurityState fromScr(long scr) {
        boolean ns = (scr & 1) != 0;
        boolean nse = (scr & (1L << 62)) != 0;
        if (nse) {
            return ns ? REALM : null;
        }
        return ns ? NON_SECURE : SECURE;
    }

    public String shortName() {
        switch (this) {
            case SECURE: return "S";
            case NON_SECURE: return "NS";
            case ROOT: return "Root";
            default: return "R";
        }
    }
}
