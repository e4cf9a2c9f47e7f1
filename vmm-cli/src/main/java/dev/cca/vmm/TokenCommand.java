package dev.cca.vmm;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.cca.rmm.attest.Pem;
import dev.cca.vmm.token.CcaToken;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.security.interfaces.ECPublicKey;
import java.util.concurrent.Callable;

/** {@code cca token}: decode and verify CCA attestation tokens. */
@Command(name = "token",
        description = "Decode or verify a CCA attestation token (the CBOR tag-399 collection a realm gets from "
            + "RSI_ATTESTATION_TOKEN_CONTINUE).%n",
        subcommands = {TokenCommand.Show.class, TokenCommand.Verify.class},
        footer = {"%nExamples:",
            "  cca token show token.cbor",
            "  cca token verify token.cbor --platform-key keys/platform.pem"},
        mixinStandardHelpOptions = true)
final class TokenCommand implements Runnable {
    static final int EXIT_OK = 0, EXIT_FAILED = 1;

    @ParentCommand
    Main parent;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(out());
    }

    PrintStream out() {
        return parent != null ? parent.out : System.out;
    }

    PrintStream err() {
        return parent != null ? parent.err : System.err;
    }

    /** Reads and decodes FILE, or prints one line saying why not and returns null. */
    CcaToken load(Path file) {
        byte[] bytes;
        try {
            bytes = dev.cca.vmm.image.ImageLoader.readFile(file); // regular files only: a FIFO would block
        } catch (dev.cca.vmm.image.ImageFormatException e) {
            err().println("cca: " + e.userMessage("token"));
            return null;
        }
        try {
            return CcaToken.parse(bytes);
        } catch (CcaToken.FormatException e) {
            err().println("cca: " + file + ": " + e.getMessage());
            return null;
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true,
            description = "Print the token as JSON: the platform and realm claims by name, byte strings in hex, "
                + "the realm public key decoded.%n",
            footer = {"%nExample:", "  cca token show token.cbor"})
    static final class Show implements Callable<Integer> {
        @ParentCommand
        TokenCommand token;

        @Parameters(paramLabel = "FILE", description = "The CCA token (binary CBOR).")
        Path file;

        @Override
        public Integer call() throws IOException {
            CcaToken t = token.load(file);
            if (t == null) {
                return EXIT_FAILED;
            }
            ObjectMapper m = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
            token.out().println(m.writeValueAsString(t.toJson()));
            return EXIT_OK;
        }
    }

    @Command(name = "verify", mixinStandardHelpOptions = true,
            description = "Check the realm token's signature with the key it carries, the binding of the two tokens "
                + "(the platform challenge is the hash of the realm public key), and, given the platform's public "
                + "key, the platform token's signature. A token whose platform signature was not checked is not "
                + "verified, unless --no-platform-check says that is enough.%n",
            footer = {"%nExit status: 0 every check passed, 1 a check failed or was not made (no --platform-key "
                + "and no --no-platform-check), or the token is malformed.",
                "%nExamples:", "  cca token verify token.cbor --platform-key keys/platform-attestation-key.pub.pem",
                "  cca token verify token.cbor --no-platform-check"})
    static final class Verify implements Callable<Integer> {
        @ParentCommand
        TokenCommand token;

        @Parameters(paramLabel = "FILE", description = "The CCA token (binary CBOR).")
        Path file;

        @Option(names = "--platform-key", paramLabel = "PEM",
                description = "The platform attestation key (PEM public key, or the private key file given to "
                    + "cca run --attestation-keys DIR: DIR/platform-attestation-key.pub.pem).")
        Path platformKey;

        @Option(names = "--no-platform-check",
                description = "Do not check the platform token's signature: the token counts as verified on the "
                    + "realm signature and the binding alone.")
        boolean noPlatformCheck;

        @Override
        public Integer call() {
            if (platformKey != null && noPlatformCheck) {
                token.err().println("cca: give --platform-key or --no-platform-check, not both");
                return CommandLine.ExitCode.USAGE;
            }
            CcaToken t = token.load(file);
            if (t == null) {
                return EXIT_FAILED;
            }
            PrintStream out = token.out();
            boolean ok = true;
            try {
                ECPublicKey rak = t.realmPublicKey();
                boolean realmSig = CcaToken.verify(t.realm, rak);
                out.println("realm token signature:    " + (realmSig ? "OK" : "FAILED")
                        + " (ES384, with the realm public key claim)");
                ok &= realmSig;
                boolean bound = t.bound();
                out.println("platform-realm binding:   " + (bound ? "OK" : "FAILED")
                        + " (platform challenge = hash of the realm public key)");
                ok &= bound;
            } catch (CcaToken.FormatException e) {
                token.err().println("cca: " + file + ": " + e.getMessage());
                return EXIT_FAILED;
            }
            if (noPlatformCheck) {
                out.println("platform token signature: not checked (--no-platform-check)");
            } else if (platformKey == null) {
                out.println("platform token signature: NOT CHECKED (give --platform-key PEM, or --no-platform-check)");
                out.println(ok ? "token NOT verified: the platform signature was not checked"
                        : "token NOT verified");
                return EXIT_FAILED;
            } else {
                ECPublicKey cpak;
                try {
                    if (java.nio.file.Files.exists(platformKey) && !java.nio.file.Files.isRegularFile(platformKey)) {
                        throw new Pem.KeyFileException(platformKey, "is not a regular file");
                    }
                    cpak = Pem.readPublic(platformKey);
                } catch (Pem.KeyFileException e) {
                    token.err().println("cca: --platform-key " + e.getMessage());
                    return EXIT_FAILED;
                } catch (IOException e) {
                    token.err().println("cca: --platform-key " + platformKey + ": "
                            + dev.cca.vmm.image.IoProblem.describe(e, platformKey));
                    return EXIT_FAILED;
                }
                boolean platSig = CcaToken.verify(t.platform, cpak);
                out.println("platform token signature: " + (platSig ? "OK" : "FAILED") + " (ES384, " + platformKey
                        + ")");
                ok &= platSig;
            }
            out.println(ok ? "token verified" + (noPlatformCheck ? " (without the platform signature)" : "")
                    : "token NOT verified");
            return ok ? EXIT_OK : EXIT_FAILED;
        }
    }
}
