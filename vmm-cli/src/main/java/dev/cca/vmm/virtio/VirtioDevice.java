package dev.cca.vmm.virtio;

/**
 * One virtio device type behind the PCI transport ({@link VirtioPciDevice}): its id, feature bits, queues,
 * device-specific configuration and what it does with the buffers the driver makes available.
 */
public interface VirtioDevice {
    /** The virtio device id (virtio 1.x, 5): 2 block, 3 console, 4 entropy, 9 9P transport. */
    int deviceId();

    String name();

    /** The PCI class code (class, subclass, programming interface) the function reports. */
    int pciClass();

    /** Device-specific feature bits offered (bits 0-23); the transport adds the reserved ones it implements. */
    long features();

    /** The maximum size of each queue; the array's length is the number of queues. */
    int[] queueSizes();

    /** Size of the device-specific configuration structure. */
    int configSize();

    /** A byte of the device-specific configuration. */
    int configRead(int off);

    /** A byte written to the device-specific configuration (read-only unless the device says otherwise). */
    default void configWrite(int off, int b) {
    }

    /** The driver notified queue {@code q}: take its available chains with {@code ctx}. */
    void notify(int q, Context ctx);

    /** The driver reset the device (device_status 0): drop all state tied to the queues. */
    default void reset() {
    }

    /** What a device uses to reach its queues and to hand buffers back. */
    interface Context {
        /** The next chain of queue {@code q}, checked, or null. Throws VirtioException for a malformed one. */
        Virtqueue.Chain next(int q);

        Virtqueue queue(int q);

        /** Returns a chain to the driver with {@code written} bytes written, interrupting it if it asked. */
        void used(int q, Virtqueue.Chain c, int written);

        /** The negotiated features. */
        long features();
    }
}
