package dev.cca.vmm.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One emulator run as a child process (cca or QEMU, run the same way a user would), with the wall time at which
 * each console marker first appeared, measured from just before the process was started.
 */
public final class TimedRun {
    /** Marker -> seconds after the start at which its line appeared; absent if it never did. */
    public final Map<String, Double> markers = new LinkedHashMap<>();
    /** Seconds until the process exited (or was killed at the timeout). */
    public double total;
    public int exitCode;
    public boolean timedOut;
    /** The console (stdout and stderr interleaved), for the error message of a failed run. */
    public final StringBuilder console = new StringBuilder();

    private TimedRun() {
    }

    /**
     * Runs {@code command}, timing the first line that contains each of {@code markers}. The process is killed
     * after {@code timeout}.
     */
    public static TimedRun run(List<String> command, List<String> markers, Duration timeout)
            throws IOException, InterruptedException {
        TimedRun r = new TimedRun();
        ProcessBuilder pb = new ProcessBuilder(new ArrayList<>(command)).redirectErrorStream(true);
        long t0 = System.nanoTime();
        Process p = pb.start();
        p.getOutputStream().close(); // no input: QEMU's -nographic monitor sees end of file
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(),
                    StandardCharsets.ISO_8859_1))) {
                String line;
                while ((line = in.readLine()) != null) {
                    double t = (System.nanoTime() - t0) / 1e9;
                    synchronized (r) {
                        for (String m : markers) {
                            if (!r.markers.containsKey(m) && line.contains(m)) {
                                r.markers.put(m, t);
                            }
                        }
                        if (r.console.length() < 1 << 20) {
                            r.console.append(line).append('\n');
                        }
                    }
                }
            } catch (IOException e) {
                // the process went away; what was read is kept
            }
        }, "bench-reader");
        reader.setDaemon(true);
        reader.start();
        if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            r.timedOut = true;
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
        r.total = (System.nanoTime() - t0) / 1e9;
        reader.join(5000);
        r.exitCode = p.isAlive() ? -1 : p.exitValue();
        return r;
    }

    public synchronized Double at(String marker) {
        return markers.get(marker);
    }

    /** The last lines of the console, for an error message. */
    public synchronized String tail(int lines) {
        String[] all = console.toString().split("\n");
        StringBuilder b = new StringBuilder();
        for (int i = Math.max(0, all.length - lines); i < all.length; i++) {
            b.append("    ").append(all[i]).append('\n');
        }
        return b.toString();
    }
}
