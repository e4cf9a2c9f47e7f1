package dev.cca.core.cpu;

/**
 * One system register as seen by MRS/MSR: its encoding, its storage slot in {@link Cpu#sr} (or none for registers
 * computed from other state), the lowest exception level allowed to access it, and read/write behaviour.
 */
public final class SysReg {

    @FunctionalInterface
    public interface Reader {
        long read(Cpu cpu);
    }

    @FunctionalInterface
    public interface Writer {
        void write(Cpu cpu, long value);
    }

    public final String name;
    public final int op0, op1, crn, crm, op2;
    /** Slot in {@link Cpu#sr}, or -1 when the value is computed. */
    public final int id;
    public final int minEl;
    final Reader reader;
    final Writer writer;

    SysReg(String name, int op0, int op1, int crn, int crm, int op2, int id, int minEl, Reader reader, Writer writer) {
        this.name = name;
        this.op0 = op0;
        this.op1 = op1;
        this.crn = crn;
        this.crm = crm;
        this.op2 = op2;
        this.id = id;
        this.minEl = minEl;
        this.reader = reader;
        this.writer = writer;
    }

    /** The 16-bit system register encoding op0:op1:CRn:CRm:op2 as in the MRS/MSR instruction bits [20:5]. */
    public int encoding() {
        return encode(op0, op1, crn, crm, op2);
    }

    public static int encode(int op0, int op1, int crn, int crm, int op2) {
        return (op0 << 14) | (op1 << 11) | (crn << 7) | (crm << 3) | op2;
    }

    public boolean readOnly() {
        return writer == null;
    }

    public boolean writeOnly() {
        return reader == null;
    }

    @Override
    public String toString() {
        return name;
    }
}
