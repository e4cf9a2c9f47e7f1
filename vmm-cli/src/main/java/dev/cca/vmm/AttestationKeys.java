package dev.cca.vmm;

import dev.cca.rmm.attest.Pem;
import dev.cca.rmm.el3.PlatformAttestation;
import dev.cca.vmm.image.IoProblem;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** --attestation-keys DIR: the platform's keys kept in a directory, every problem named in one line. */
final class AttestationKeys {
    private AttestationKeys() {
    }

    /** New keys when {@code dir} is null, else the keys in {@code dir} (created there if it holds neither). */
    static PlatformAttestation load(Path dir) throws RunCommand.UsageError {
        if (dir == null) {
            return PlatformAttestation.generated();
        }
        String opt = "--attestation-keys " + dir + ": ";
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new RunCommand.UsageError(opt + "is not a directory (give the directory that holds "
                    + PlatformAttestation.RAK_FILE + " and " + PlatformAttestation.CPAK_FILE
                    + ", or a new one to create them in)");
        }
        for (String name : new String[] {PlatformAttestation.RAK_FILE, PlatformAttestation.CPAK_FILE}) {
            Path f = dir.resolve(name);
            if (Files.exists(f) && !Files.isRegularFile(f)) {
                throw new RunCommand.UsageError(opt + name + " is not a regular file");
            }
        }
        try {
            return PlatformAttestation.fromDirectory(dir);
        } catch (Pem.KeyFileException e) {
            throw new RunCommand.UsageError("--attestation-keys: " + e.getMessage());
        } catch (IOException e) {
            throw new RunCommand.UsageError(opt + IoProblem.describe(e, dir));
        } catch (RuntimeException e) {
            // A PEM block that decodes to no valid key (bad Base64, a key of another curve).
            throw new RunCommand.UsageError(opt + "the keys cannot be used: " + e.getMessage());
        }
    }
}
