package dev.cca.vmm.console;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;

/**
 * Feeds a guest's console from an input stream on a thread of its own. From a terminal, QEMU's escapes apply
 * ({@link EscapeFilter}: Ctrl-A x quits); from anything else bytes pass through unchanged. At end of file it stops
 * reading and the run goes on.
 */
public final class ConsoleInput {
    private static final Logger LOG = LoggerFactory.getLogger(ConsoleInput.class);

    /** Where the bytes go: the UART's line (blocks while its sender's buffer is full; false once it closed). */
    @FunctionalInterface
    public interface Sink {
        boolean send(byte[] b, int off, int len) throws InterruptedException;
    }

    private final Thread thread;
    /** Set once no more input can come: end of file, the line closed, or a read error. */
    private volatile boolean ended;

    /**
     * @param escapes whether QEMU's Ctrl-A escapes apply (input is a terminal)
     * @param quit what Ctrl-A x does
     * @param err where Ctrl-A h prints its help
     */
    public ConsoleInput(InputStream in, boolean escapes, Sink sink, Runnable quit, PrintStream err) {
        EscapeFilter filter = escapes ? new EscapeFilter(new EscapeFilter.Actions() {
            @Override
            public void quit() {
                quit.run();
            }

            @Override
            public void help() {
                err.print(EscapeFilter.HELP);
                err.flush();
            }
        }) : null;
        thread = new Thread(() -> {
            try {
                pump(in, filter, sink);
            } finally {
                ended = true;
            }
        }, "console-input");
        thread.setDaemon(true); // may stay blocked in read() after the run: it must not keep the JVM alive
    }

    public void start() {
        thread.start();
    }

    /** True once no more input can reach the guest (so nothing from outside can wake it). */
    public boolean ended() {
        return ended;
    }

    private static void pump(InputStream in, EscapeFilter filter, Sink sink) {
        byte[] buf = new byte[4096];
        try {
            while (true) {
                int n = in.read(buf);
                if (n < 0) {
                    return; // end of file: no more input, the guest runs on
                }
                if (filter != null) {
                    n = filter.filter(buf, n);
                }
                if (n > 0 && !sink.send(buf, 0, n)) {
                    return;
                }
            }
        } catch (IOException e) {
            LOG.warn("console input: {}", e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
