package dev.cca.vmm.virtio;

/** A driver broke the virtio protocol (a malformed chain, a queue set up wrong): the device needs a reset. */
public final class VirtioException extends RuntimeException {
    public VirtioException(String message) {
        super(message);
    }
}
