package dev.cca.core.cpu;

/**
 * Why and where a PE stopped when the stop was not a normal one (an exception loop, an internal error of the
 * emulator): enough for a user to see what the guest was doing. Printed by the tools as one line.
 *
 * @param reason what happened, in words
 * @param el     the exception level the PE was at
 * @param state  its security state
 * @param pc     the PC of the instruction involved (the faulting one, or the next one to execute)
 * @param esr    the syndrome of the last exception taken (0 if none)
 * @param far    the fault address of the last exception taken, if it had one
 * @param elr    the return address of the last exception taken
 * @param word   the instruction word at {@code pc}, or -1 if it could not be read
 * @param before what led there (for a loop: the exception taken before it), or null
 */
public record StopReport(String reason, int el, SecurityState state, long pc, long esr, long far, long elr,
                         long word, String before) {
    public StopReport(String reason, int el, SecurityState state, long pc, long esr, long far, long elr, long word) {
        this(reason, el, state, pc, esr, far, elr, word, null);
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder(reason);
        b.append(String.format(": EL%d %s pc=%#x", el, state.shortName(), pc));
        if (word >= 0) {
            b.append(String.format(" insn=%08x", word));
        }
        if (esr != 0) {
            b.append(String.format(" esr=%#x (%s", esr, Esr.ecName(Esr.ec(esr))));
            int ec = Esr.ec(esr);
            if (ec == Esr.EC_DABT_CUR || ec == Esr.EC_DABT_LOWER || ec == Esr.EC_IABT_CUR
                    || ec == Esr.EC_IABT_LOWER) {
                b.append(", ").append(Esr.fscName(Esr.iss(esr) & 0x3F));
                b.append(String.format(", far=%#x", far));
            }
            b.append(String.format(") elr=%#x", elr));
        }
        if (before != null) {
            b.append("; ").append(before);
        }
        return b.toString();
    }
}
