package dev.cca.core.mem;

/** A physical access that nothing answers (no RAM or device at the address), or that a device refused. */
public final class BusErrorException extends RuntimeException {
    private final long address;

    public BusErrorException(long address, String message) {
        super(message);
        this.address = address;
    }

    public long address() {
        return address;
    }
}
