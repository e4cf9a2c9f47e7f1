package dev.cca.vmm;

import picocli.CommandLine.Option;

import java.nio.file.Path;

/** The options that bound and instrument a run, shared by run and debug. */
public final class RunOptions {
    /** The execution engines of the emulated CPUs. */
    public enum EngineKind {
        /** Interpret every instruction. */
        interp,
        /** Translate hot blocks of guest code to JVM bytecode (docs/performance.md). */
        jit
    }

    @Option(names = "--engine", paramLabel = "ENGINE",
            description = "Execution engine: interp (interpret every instruction) or jit (translate hot blocks to "
                + "JVM bytecode). Default: ${DEFAULT-VALUE}.")
    EngineKind engine = dev.cca.core.cpu.Cpu.defaultTranslation() ? EngineKind.jit : EngineKind.interp;

    /** Makes the CPUs created from now on use the chosen engine. */
    void applyEngine() {
        dev.cca.core.cpu.Cpu.setDefaultTranslation(engine == EngineKind.jit);
    }

    @Option(names = "--max-instructions", paramLabel = "N",
            description = "Stop after exactly N guest instructions, all vCPUs together.")
    Long maxInstructions;

    @Option(names = "--timeout", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "Stop after this wall time: seconds, or with a unit (500ms, 30s, 2m, 1h; at most 365d).")
    java.time.Duration timeout;

    @Option(names = "--dump-dtb", paramLabel = "FILE",
            description = "Also write the device tree the guest boots with to FILE (decompile with dtc -I dtb).")
    Path dumpDtb;

    @Option(names = "--attestation-keys", paramLabel = "DIR",
            description = "Use the platform's attestation keys in DIR (realm-attestation-key.pem, "
                + "platform-attestation-key.pem; created there if DIR has neither). Default: new keys for each run.")
    Path attestationKeys;
}
