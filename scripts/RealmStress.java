import dev.cca.vmm.Main;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The in-process form of scripts/realm-stress.sh (-j): the same runs and the same counting, but every run is
 * `cca run` called in this one JVM (dev.cca.vmm.Main.run), which saves the JVM start and warm-up of each run.
 * Usage: java -cp vmm-cli/target/cca.jar scripts/RealmStress.java RUNS CPUS IMAGE TIMEOUT LOGDIR [CCA-RUN-ARGS...]
 * (the script passes --realm among the cca run arguments unless -N asks for a normal VM)
 */
public final class RealmStress {
    public static void main(String[] a) throws IOException {
        int runs = Integer.parseInt(a[0]);
        String cpus = a[1], image = a[2], timeout = a[3];
        Path logs = Path.of(a[4]);
        Files.createDirectories(logs);
        String name = Path.of(image).getFileName().toString().replaceFirst("\\.elf$", "");
        int passed = 0, internal = 0, timedOut = 0, guestFail = 0, other = 0;
        long start = System.nanoTime();
        for (int i = 1; i <= runs; i++) {
            List<String> args = new ArrayList<>(List.of("run", "-k", image, "--cpus", cpus,
                    "--timeout", timeout));
            for (int k = 5; k < a.length; k++) {
                args.add(a[k]);
            }
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            PrintStream ps = new PrintStream(bytes, true, StandardCharsets.UTF_8);
            int rc = Main.run(ps, ps, args.toArray(String[]::new));
            String out = bytes.toString(StandardCharsets.UTF_8);
            boolean pass = rc == 0 && out.lines().anyMatch(l -> l.equals(name + ": PASS")) && !out.contains("FAIL");
            if (pass) {
                passed++;
                continue;
            }
            if (out.contains("KVM_EXIT_INTERNAL_ERROR") || out.contains("internal error")
                    || out.contains("Exception") || out.contains("Error:")) {
                internal++;
            } else if (out.lines().anyMatch(l -> l.matches("ended: *timeout.*"))) {
                timedOut++;
            } else if (out.contains("FAIL")) {
                guestFail++;
            } else {
                other++;
            }
            Path log = logs.resolve("run-" + i + ".log");
            Files.writeString(log, out);
            System.err.println("run " + i + ": not passed (exit " + rc + "), output in " + log);
        }
        long secs = (System.nanoTime() - start) / 1_000_000_000L;
        System.out.printf("%s on %s vCPUs, %d runs in %ds (one JVM): %d passed, %d internal errors, %d timeouts, "
                + "%d guest FAIL, %d other%n", name, cpus, runs, secs, passed, internal, timedOut, guestFail, other);
        System.exit(passed == runs ? 0 : 1);
    }
}
