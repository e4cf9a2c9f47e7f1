package dev.cca.vmm;

import dev.cca.kvm.uapi.AbiProfile;
import dev.cca.vmm.abitest.AbiTestSuite;
import dev.cca.vmm.abitest.Scenarios;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code cca abi-test}: runs KVM realm ABI scenario files and reports each scenario. */
@Command(name = "abi-test",
        description = "Run ABI scenario files (JSON, schema in docs/abi-scenarios.md) against the emulated host's KVM "
            + "realm ABI. Each scenario boots a fresh host, runs its steps (ioctls on named file descriptors, raw RMI "
            + "SMCs, RSI calls from a small realm) and checks return values, errnos, output fields and the RMI calls "
            + "made. Prints one line per scenario and \"N passed, M failed, K skipped\".%n",
        footer = {"%nExit status: 0 all scenarios passed (or were skipped for the profile), 1 a scenario failed, "
            + "2 usage error.",
            "%nProfiles: v12 (default), populate-progress (v13's _IOWR KVM_ARM_RMI_POPULATE), psci-user (PSCI always "
            + "forwarded to the VMM). See docs/abi.md.",
            "%nExamples:",
            "  cca abi-test abi-scenarios/",
            "  cca abi-test --profile populate-progress abi-scenarios/populate.json",
            "  cca abi-test --junit target/abi.xml abi-scenarios/",
            "  cca -v abi-test abi-scenarios/psci.json      trace every step"},
        mixinStandardHelpOptions = true)
final class AbiTestCommand implements Callable<Integer> {
    @ParentCommand
    Main parent;

    @Parameters(paramLabel = "PATH", arity = "1..*",
            description = "Scenario files, or directories searched for *.json.")
    List<Path> paths;

    @Option(names = "--profile", paramLabel = "PROFILE", defaultValue = "v12",
            description = "ABI profile of the host kernel: v12, populate-progress or psci-user (default: ${DEFAULT-VALUE}).")
    String profile;

    @Option(names = "--junit", paramLabel = "FILE", description = "Also write the results as JUnit XML to FILE.")
    Path junit;

    @Override
    public Integer call() {
        PrintStream out = parent != null ? parent.out : System.out;
        PrintStream err = parent != null ? parent.err : System.err;
        AbiProfile p;
        try {
            p = AbiProfile.byId(profile);
        } catch (IllegalArgumentException e) {
            err.println("cca: " + e.getMessage());
            return CommandLine.ExitCode.USAGE;
        }
        List<Path> files;
        try {
            files = Scenarios.files(paths);
        } catch (IOException e) {
            err.println("cca: " + e.getMessage());
            return CommandLine.ExitCode.USAGE;
        }
        if (files.isEmpty()) {
            err.println("cca: no scenario files (*.json) in " + paths);
            return CommandLine.ExitCode.USAGE;
        }
        boolean verbose = parent != null && parent.verbosity() > 0;
        AbiTestSuite suite = new AbiTestSuite(p, out, verbose ? err : null);
        suite.run(files);
        out.println(suite.totals());
        if (junit != null) {
            try {
                suite.writeJUnit(junit);
            } catch (IOException e) {
                err.println("cca: cannot write " + junit + ": " + e.getMessage());
                return 1;
            }
        }
        return suite.failed() > 0 ? 1 : 0;
    }
}
