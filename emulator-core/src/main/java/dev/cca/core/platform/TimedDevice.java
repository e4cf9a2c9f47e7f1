package dev.cca.core.platform;

/**
 * A device whose state changes with time (a watchdog): time is the system counter (docs/time.md). The platform
 * asks it to catch up with the counter, and when its next change is due so that idle PEs can skip to it.
 */
public interface TimedDevice {
    /** Brings the device up to counter value {@code now}: expiries due by then take effect. */
    void advance(long now);

    /** The counter value of the device's next change, or Long.MAX_VALUE if none is scheduled. */
    long nextDeadline();
}
