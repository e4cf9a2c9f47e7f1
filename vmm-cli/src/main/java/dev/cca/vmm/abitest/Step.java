package dev.cca.vmm.abitest;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.List;
import java.util.Map;

/**
 * A scenario step, one record per kind (docs/abi-scenarios.md, "Step kinds"). The first component of each record
 * is its kind key ({@code {"ioctl": "KVM_RUN", ...}}); the others are its other keys, named as in the JSON with
 * Java's camel case for snake case ({@code signalAfterMs} is {@code signal_after_ms}). Numbers stay JSON values
 * (an integer or an expression string, {@link Expr}) until the step runs, since they may name variables that an
 * earlier step binds. {@code ScenarioDocTest} checks these records against the document's tables.
 */
public sealed interface Step {
    /** {@code open(path, O_RDWR)}; yields the fd. */
    record Open(String open) implements Step {
    }

    /** {@code close(fd)}; yields 0 or -errno. */
    record Close(JsonNode close) implements Step {
    }

    /** An anonymous mapping of {@code size} bytes, or a vCPU's kvm_run ({@code fd}); yields the address. */
    record Mmap(MmapArgs mmap) implements Step {
    }

    /** The value of an mmap step. */
    record MmapArgs(JsonNode size, JsonNode fd) {
    }

    /** Writes 32- or 64-bit values, hex bytes or a realm program to process memory. */
    record Write(JsonNode write, JsonNode offset, List<JsonNode> u32, List<JsonNode> u64, String bytes,
            JsonNode program, JsonNode base, JsonNode ipaBits) implements Step {
        public Write {
            u32 = u32 == null ? List.of() : u32;
            u64 = u64 == null ? List.of() : u64;
        }
    }

    /** Reads process memory; its values are compared with {@code u32}/{@code u64}. */
    record Check(JsonNode check, JsonNode offset, List<JsonNode> u32, List<JsonNode> u64) implements Step {
        public Check {
            u32 = u32 == null ? List.of() : u32;
            u64 = u64 == null ? List.of() : u64;
        }
    }

    /** Writes fields of a vCPU's kvm_run. */
    record RunSet(JsonNode runSet, Map<String, JsonNode> fields) implements Step {
        public RunSet {
            fields = fields == null ? Map.of() : fields;
        }
    }

    /** {@code ioctl(fd, request, argument)}; yields the return value and the argument struct after the call. */
    record Ioctl(JsonNode ioctl, JsonNode fd, JsonNode arg, String raw, JsonNode struct, Map<String, String> save,
            JsonNode signalAfterMs, Boolean signalPending) implements Step {
        public Ioctl {
            save = save == null ? Map.of() : save;
        }
    }

    /** A raw RMI SMC from Non-secure EL2; yields X0..X7. */
    record Smc(JsonNode smc, List<JsonNode> args, Map<String, String> save) implements Step {
        public Smc {
            args = args == null ? List.of() : args;
            save = save == null ? Map.of() : save;
        }
    }

    /** Allocates a host page for raw RMI steps and binds its address to the named variable. */
    record AllocGranule(String allocGranule) implements Step {
    }

    /** An RSI call made by a small realm; yields the X0..X4 it reports. */
    record Rsi(JsonNode rsi, List<JsonNode> args) implements Step {
        public Rsi {
            args = args == null ? List.of() : args;
        }
    }

    /** A standard set-up (realm or normal), expanded into ioctl steps. */
    record Fixture(String fixture, String prefix, JsonNode ipaBits, JsonNode ram, JsonNode ramSize, JsonNode vcpus,
            Boolean gic, JsonNode program, JsonNode base, Boolean sharedBacking) implements Step {
    }

    /** The keys every step can have besides its kind's (docs/abi-scenarios.md). */
    record Common(String comment, String as, Expect expect, Map<String, Expect> expectByProfile,
            List<String> onlyProfiles) {
        public Common {
            expectByProfile = expectByProfile == null ? Map.of() : expectByProfile;
        }
    }

    /** Whether the step yields a result that expectations ({@code expect}, {@code as}) apply to. */
    static boolean hasResult(Step s) {
        return s instanceof Open || s instanceof Close || s instanceof Mmap || s instanceof Ioctl || s instanceof Smc
                || s instanceof Rsi;
    }

    /** Whether the step's result is registers (x0..x7 expectations) rather than a return value. */
    static boolean yieldsRegisters(Step s) {
        return s instanceof Smc || s instanceof Rsi;
    }
}
