package dev.cca.vmm;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code cca} as a child process, started the way a user starts it (a JVM running {@link Main} with this test's
 * class path), with its standard input, output and error as pipes: a test types at the guest's console and reads
 * what each stream carried, separately.
 */
final class CcaSubprocess implements AutoCloseable {
    private final Process process;
    private final Capture out;
    private final Capture err;
    private final OutputStream in;

    private static final class Capture extends Thread {
        private final InputStream src;
        private final ByteArrayOutputStream b = new ByteArrayOutputStream();

        Capture(InputStream src, String name) {
            super(name);
            this.src = src;
            setDaemon(true);
            start();
        }

        @Override
        public void run() {
            byte[] buf = new byte[8192];
            try {
                for (int n; (n = src.read(buf)) > 0; ) {
                    synchronized (this) {
                        b.write(buf, 0, n);
                    }
                }
            } catch (IOException e) {
                // the process ended
            }
        }

        synchronized String text() {
            return b.toString(StandardCharsets.UTF_8);
        }
    }

    CcaSubprocess(String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        // The engine settings of the test run (.ci/run runs the suite under each engine) reach the child too.
        for (String p : new String[] {"cca.engine", "cca.jit.threshold", "cca.jit.cache"}) {
            if (System.getProperty(p) != null) {
                cmd.add("-D" + p + "=" + System.getProperty(p));
            }
        }
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(Main.class.getName());
        cmd.addAll(List.of(args));
        process = new ProcessBuilder(cmd).start();
        out = new Capture(process.getInputStream(), "cca-stdout");
        err = new Capture(process.getErrorStream(), "cca-stderr");
        in = process.getOutputStream();
    }

    /** Everything on standard output so far, with the guest's CR LF line ends made LF. */
    String out() {
        return out.text().replace("\r\n", "\n");
    }

    String err() {
        return err.text();
    }

    /** Types {@code text} at the console. */
    void type(String text) throws IOException {
        in.write(text.getBytes(StandardCharsets.UTF_8));
        in.flush();
    }

    /**
     * Waits until standard output, from {@code from} on, matches {@code regex} (multiline); returns the match.
     * Fails with both streams if it does not within {@code timeoutSeconds} or the process ends first.
     */
    Matcher await(String regex, int from, long timeoutSeconds) throws InterruptedException {
        Pattern p = Pattern.compile(regex, Pattern.MULTILINE);
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
        while (true) {
            String o = out();
            Matcher m = p.matcher(o);
            if (m.find(Math.min(from, o.length()))) {
                return m;
            }
            if (!process.isAlive() || System.nanoTime() > end) {
                Thread.sleep(200); // the last output
                throw new AssertionError("no match for /" + regex + "/ on the console "
                        + (process.isAlive() ? "within " + timeoutSeconds + " s" : "before cca exited") + "\n--- stdout:\n"
                        + tail(out()) + "\n--- stderr:\n" + err());
            }
            Thread.sleep(100);
        }
    }

    /** Waits for the process to end; its exit status. */
    int waitFor(long timeoutSeconds) throws InterruptedException {
        if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            throw new AssertionError("cca did not end within " + timeoutSeconds + " s\n--- stdout:\n" + tail(out())
                    + "\n--- stderr:\n" + err());
        }
        out.join(5000);
        err.join(5000);
        return process.exitValue();
    }

    static String tail(String s) {
        return s.length() <= 6000 ? s : "..." + s.substring(s.length() - 6000);
    }

    @Override
    public void close() {
        process.destroyForcibly();
    }
}
