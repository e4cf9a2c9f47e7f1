package dev.cca.vmm.console;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Puts the terminal on standard input in raw mode for a run and restores it: at {@link #restore()}, and from a
 * JVM shutdown hook if the process ends otherwise (a signal, System.exit).
 *
 * <p>This runs stty(1) with the JVM's own standard input inherited, which is the terminal in question: no native
 * code, and it works when standard output is redirected (JLine's system terminal would turn dumb then, and opening
 * /dev/tty would change the controlling terminal even when standard input is a pipe). The mode is QEMU's for a
 * stdio console: raw, no echo, no signals from the keyboard (Ctrl-C goes to the guest), output processing kept.
 */
public final class RawTerminal {
    private final String saved;
    private final Thread hook;
    private boolean restored;

    private RawTerminal(String saved) {
        this.saved = saved;
        this.hook = new Thread(this::restoreNow, "cca-terminal-restore");
    }

    /** Raw mode on standard input if it is a terminal; null if it is not (or stty is unavailable). */
    public static RawTerminal enterIfTerminal() {
        String saved = stty("-g");
        if (saved == null || saved.isBlank()) {
            return null;
        }
        RawTerminal t = new RawTerminal(saved.trim());
        Runtime.getRuntime().addShutdownHook(t.hook);
        if (stty("raw", "-echo", "opost") == null) {
            t.restore();
            return null;
        }
        return t;
    }

    /** Restores the saved mode (once). */
    public void restore() {
        restoreNow();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // the JVM is shutting down: the hook runs or ran
        }
    }

    private synchronized void restoreNow() {
        if (!restored) {
            restored = true;
            stty(saved);
        }
    }

    /** Runs stty on the inherited standard input; its output, or null if it failed. */
    private static String stty(String... args) {
        List<String> cmd = new java.util.ArrayList<>();
        cmd.add("stty");
        cmd.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.INHERIT)
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(5, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return null;
            }
            return p.exitValue() == 0 ? out : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }
}
