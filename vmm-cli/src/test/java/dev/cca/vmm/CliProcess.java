package dev.cca.vmm;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Runs the cca command line in-process on its own thread, with output that can be read while it runs. */
public final class CliProcess {
    private final Buffer out = new Buffer();
    private final Buffer err = new Buffer();
    private final Thread thread;
    private volatile int exit = Integer.MIN_VALUE;

    private static final class Buffer extends OutputStream {
        private final ByteArrayOutputStream b = new ByteArrayOutputStream();

        @Override
        public synchronized void write(int c) {
            b.write(c);
        }

        @Override
        public synchronized void write(byte[] d, int off, int len) {
            b.write(d, off, len);
        }

        synchronized String text() {
            return b.toString(StandardCharsets.UTF_8);
        }
    }

    public CliProcess(String... args) {
        thread = new Thread(() -> exit = Main.run(new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), args), "cca-under-test");
        thread.setDaemon(true);
        thread.start();
    }

    public String out() {
        return out.text();
    }

    public String err() {
        return err.text();
    }

    /** Waits for {@code regex} to appear on stderr; returns its first group. */
    public String awaitErr(String regex, long timeoutMillis) throws InterruptedException {
        Pattern p = Pattern.compile(regex);
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        while (System.nanoTime() < end) {
            Matcher m = p.matcher(err());
            if (m.find()) {
                return m.groupCount() > 0 ? m.group(1) : m.group();
            }
            if (!thread.isAlive()) {
                break;
            }
            Thread.sleep(10);
        }
        throw new AssertionError("no match for " + regex + " on stderr: " + err() + "\nstdout: " + out());
    }

    /** Waits for the command to end; returns its exit status. */
    public int await(long timeoutMillis) throws InterruptedException {
        thread.join(timeoutMillis);
        if (thread.isAlive()) {
            throw new AssertionError("cca did not end within " + timeoutMillis + " ms; stderr: " + err()
                    + "\nstdout: " + out());
        }
        return exit;
    }
}
