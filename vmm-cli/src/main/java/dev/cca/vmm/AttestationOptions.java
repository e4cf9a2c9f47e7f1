package dev.cca.vmm;

import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.security.SecureRandom;

/**
 * The realm attestation options of {@code cca run}: the challenge the VMM gives a realm that asks for one, and where
 * the token the realm hands back is written (docs/attestation.md).
 */
public final class AttestationOptions {
    static final int CHALLENGE_SIZE = 64;

    @Option(names = "--challenge", paramLabel = "HEX",
            description = "The challenge (nonce) the VMM gives a realm that asks for one (the default guest does, "
                + "and puts it in its attestation token): up to 64 bytes in hex, zero-padded. Default: 64 random "
                + "bytes.")
    String challenge;

    @Option(names = "--token-out", paramLabel = "FILE",
            description = "Write the attestation token the realm hands to the VMM (the default guest does) to FILE, "
                + "for cca token show/verify. The run fails if the guest hands over none.")
    Path tokenOut;

    /** The 64-byte challenge: the one given, or random. */
    byte[] challengeBytes() throws RunCommand.UsageError {
        if (challenge != null) {
            return RealmOptions.parseHex("--challenge", challenge, CHALLENGE_SIZE);
        }
        byte[] b = new byte[CHALLENGE_SIZE];
        new SecureRandom().nextBytes(b);
        return b;
    }
}
