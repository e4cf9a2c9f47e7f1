package dev.cca.vmm.abitest;

/** A scenario file that is not valid: the message names the file position and what is wrong. */
public final class ScenarioException extends RuntimeException {
    public ScenarioException(String message) {
        super(message);
    }
}
