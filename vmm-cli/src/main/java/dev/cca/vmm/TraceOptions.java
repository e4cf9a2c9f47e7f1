package dev.cca.vmm;

import picocli.CommandLine.Option;

import java.nio.file.Path;

/** {@code --trace}, {@code --trace-filter}, {@code --trace-format}: shared by run and debug (docs/tracing.md). */
public final class TraceOptions {
    enum Format { jsonl, chrome }

    @Option(names = "--trace", paramLabel = "FILE",
            description = "Write a trace of the run to FILE: RMI/RSI calls with decoded arguments and results, REC "
                + "exits, granule state changes, KVM ioctls and exits, exceptions taken (docs/tracing.md).")
    Path file;

    @Option(names = "--trace-filter", paramLabel = "CATEGORIES",
            description = "Comma-separated categories to trace: rmi, rsi, rec, granule, kvm, exception "
                + "(default: all).")
    String filter;

    @Option(names = "--trace-format", paramLabel = "FORMAT",
            description = "jsonl (JSON Lines, the default) or chrome (Trace Event format for Perfetto and "
                + "chrome://tracing).")
    Format format = Format.jsonl;
}
